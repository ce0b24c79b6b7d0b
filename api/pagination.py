"""Opaque keyset cursors: stable under inserts, unlike offsets."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlmodel import Session, col
from sqlmodel.sql.expression import SelectOfScalar

from api.errors import ApiError

Ident = TypeVar("Ident", str, int)


def encode_cursor(when: datetime, ident: Any, order: str | None = None) -> str:
    position = [when.isoformat(), ident] + ([order] if order else [])
    raw = json.dumps(position).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str, ident_type: type[Ident], order: str | None = None
) -> tuple[datetime, Ident]:
    """The position a cursor encodes; 400 for anything this API could not have returned, or a
    cursor of another sort order than ``order``."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        when, ident, *rest = json.loads(base64.urlsafe_b64decode(padded))
        position = datetime.fromisoformat(when).astimezone(UTC)
        # bool is an int to Python but not an id to the database
        if type(ident) is not ident_type or (isinstance(ident, str) and "\x00" in ident):
            raise TypeError(f"cursor id {ident!r} is not a {ident_type.__name__}")
        if rest != ([order] if order else []):
            raise ValueError("the cursor belongs to another sort order")
        return position, ident
    except (ValueError, TypeError, OverflowError) as exc:
        raise ApiError(400, "Invalid cursor", "the cursor is not one this API returned") from exc


Row = TypeVar("Row")


@dataclass(frozen=True)
class Order:
    """A keyset order: a timestamp expression, then an id column to break ties; ``name`` (the
    ``sort`` parameter) is written into cursors so a cursor only continues its own order."""

    name: str
    when: Any
    ident: Any
    descending: bool
    value: Callable[[Any], datetime]
    """The ``when`` of a fetched row (the cursor's position)."""


def keyset_page(
    session: Session,
    query: SelectOfScalar[Row],
    order: Order,
    ident_type: type[Ident],
    limit: int,
    cursor: str | None,
) -> tuple[list[Row], str | None]:
    """One page of ``query`` in ``order`` and the cursor of the next page (None on the last).
    The page after a cursor starts strictly after its position, so rows inserted meanwhile
    never shift a page (as offsets would) and no row is seen twice."""
    when, ident = order.when, col(order.ident)
    if cursor:
        position, last = decode_cursor(cursor, ident_type, order.name)
        if order.descending:
            query = query.where((when < position) | ((when == position) & (ident < last)))
        else:
            query = query.where((when > position) | ((when == position) & (ident > last)))
    direction = (when.desc(), ident.desc()) if order.descending else (when.asc(), ident.asc())
    rows = list(session.exec(query.order_by(*direction).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    row = rows[limit - 1]
    return rows[:limit], encode_cursor(order.value(row), getattr(row, order.ident.key), order.name)


def newest_first(
    session: Session,
    query: SelectOfScalar[Row],
    position: tuple[Any, Any],
    ident_type: type[Ident],
    limit: int,
    cursor: str | None,
) -> tuple[list[Row], str | None]:
    """One page of ``query``, newest first by (timestamp, id) — ``position`` names the two
    columns — and the cursor of the next page (None on the last one)."""
    when_column, id_column = position
    when = col(when_column)
    order = Order("", when, id_column, True, lambda row: getattr(row, when_column.key))
    return keyset_page(session, query, order, ident_type, limit, cursor)
