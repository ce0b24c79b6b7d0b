"""Opaque keyset cursors: stable under inserts, unlike offsets."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlmodel import Session, col
from sqlmodel.sql.expression import SelectOfScalar

from api.errors import ApiError

Ident = TypeVar("Ident", str, int)


def encode_cursor(when: datetime, ident: Any) -> str:
    raw = json.dumps([when.isoformat(), ident]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, ident_type: type[Ident]) -> tuple[datetime, Ident]:
    """The position a cursor encodes; 400 for anything this API could not have returned."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        when, ident = json.loads(base64.urlsafe_b64decode(padded))
        position = datetime.fromisoformat(when).astimezone(UTC)
        # bool is an int to Python but not an id to the database
        if type(ident) is not ident_type or (isinstance(ident, str) and "\x00" in ident):
            raise TypeError(f"cursor id {ident!r} is not a {ident_type.__name__}")
        return position, ident
    except (ValueError, TypeError, OverflowError) as exc:
        raise ApiError(400, "Invalid cursor", "the cursor is not one this API returned") from exc


Row = TypeVar("Row")


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
    if cursor:
        when, ident = decode_cursor(cursor, ident_type)
        query = query.where(
            (col(when_column) < when) | ((col(when_column) == when) & (col(id_column) < ident))
        )
    query = query.order_by(col(when_column).desc(), col(id_column).desc()).limit(limit + 1)
    rows = list(session.exec(query))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    return rows[:limit], encode_cursor(getattr(last, when_column.key), getattr(last, id_column.key))
