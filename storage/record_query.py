"""Record filters (``definitions.record_filters``) evaluated in SQL, on SQLite and PostgreSQL.

The two databases extract JSON differently (``json_extract``/``json_type`` against ``#>``/
``#>>``/``json_typeof``), so a field is read through ``JsonField``, which offers the same four
readings on both: its JSON kind, its text, its number and whether it holds a value. Every
comparison is guarded by the kind (like compares with like), inside a ``CASE`` where a cast could
otherwise fail on PostgreSQL, which does not promise to evaluate ``AND`` left to right.
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Float,
    String,
    and_,
    case,
    cast,
    exists,
    false,
    func,
    literal,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import col
from sqlmodel.sql.expression import SelectOfScalar

from definitions.durations import parse_instant
from definitions.errors import DefinitionError
from definitions.record_filters import Clause, SortKey
from storage.models import Record

RECORD_COLUMNS: dict[str, Any] = {
    "id": col(Record.record_id),
    "created_at": col(Record.created_at),
    "updated_at": col(Record.updated_at),
}
"""Fields that are columns of the record rather than keys of its data."""
ARRAY_COLUMNS: dict[str, Any] = {"tags": col(Record.tags), "lists": col(Record.lists)}


class InvalidCursor(ValueError):
    """A cursor this store did not hand out (or for another sort)."""


class JsonField:
    """One path into a JSON column, read the same way on both databases."""

    def __init__(self, dialect: str, column: Any, path: tuple[str, ...]) -> None:
        self.postgres = dialect == "postgresql"
        self.column, self.path = column, path
        if self.postgres:
            self.node = column[path] if path else column
            raw = func.json_typeof(self.node)
            self.kind: ColumnElement[str] = func.coalesce(raw, "missing")
            text = column[path].as_string() if path else cast(column, String)
            self.text: ColumnElement[Any] = text
        else:
            self.json_path = "$" + "".join(
                f"[{segment}]" if segment.isascii() and segment.isdigit() else f'."{segment}"'
                for segment in path
            )
            self.raw_type = func.json_type(column, self.json_path)
            self.kind = case(
                (self.raw_type.in_(("integer", "real")), "number"),
                (self.raw_type == "text", "string"),
                (self.raw_type.in_(("true", "false")), "boolean"),
                else_=func.coalesce(self.raw_type, "missing"),
            )
            self.text = func.json_extract(column, self.json_path)

    @property
    def number(self) -> ColumnElement[Any]:
        """The value as a number, NULL unless it is one (so a cast never sees text)."""
        value = cast(self.text, Float) if self.postgres else self.text
        return case((self.kind == "number", value), else_=None)

    @property
    def string(self) -> ColumnElement[Any]:
        return case((self.kind == "string", self.text), else_=None)

    def equals(self, value: Any) -> ColumnElement[bool]:
        if value is None:
            return self.kind.in_(("null", "missing"))
        if isinstance(value, bool):
            word = "true" if value else "false"
            truth = self.text == word if self.postgres else self.raw_type == word
            return and_(self.kind == "boolean", truth)
        if isinstance(value, int | float):
            return and_(self.kind == "number", self.number == value)
        return and_(self.kind == "string", self.text == value)

    def compare(self, operator: str, value: Any) -> ColumnElement[bool]:
        target = self.number if isinstance(value, int | float) else self.string
        kind = "number" if isinstance(value, int | float) else "string"
        comparison = {
            "gt": target > value,
            "gte": target >= value,
            "lt": target < value,
            "lte": target <= value,
        }[operator]
        return and_(self.kind == kind, func.coalesce(comparison, false()))

    def contains(self, value: Any) -> ColumnElement[bool]:
        """An array holding ``value``, or (for a string value) a string holding it."""
        found = self._array_contains(value)
        if isinstance(value, str):
            find = func.strpos if self.postgres else func.instr
            position = find(self.text, value)
            found = or_(found, and_(self.kind == "string", position > 0))
        return found

    def _array_contains(self, value: Any) -> ColumnElement[bool]:
        if self.postgres:
            held = cast(self.node, JSONB).op("@>")(literal([value], JSONB))
            return and_(self.kind == "array", held)
        items = func.json_each(self.column, self.json_path).table_valued("value", "type")
        if isinstance(value, bool):
            match = items.c.type == ("true" if value else "false")
        elif isinstance(value, int | float):
            match = and_(items.c.type.in_(("integer", "real")), items.c.value == value)
        else:
            match = and_(items.c.type == "text", items.c.value == value)
        return and_(self.kind == "array", exists(select(1).select_from(items).where(match)))


def where_clause(dialect: str, clause: Clause, path: str = "filter") -> ColumnElement[bool]:
    """``clause`` as a SQL condition on ``records``."""
    name = clause.path[0] if len(clause.path) == 1 else None
    if name in RECORD_COLUMNS:
        return _column_clause(RECORD_COLUMNS[name], name, clause, path)
    column, json_path = (
        (ARRAY_COLUMNS[name], ()) if name in ARRAY_COLUMNS else (col(Record.data), clause.path)
    )
    field = JsonField(dialect, column, json_path)
    op, value = clause.operator, clause.value
    if op == "eq":
        return field.equals(value)
    if op == "ne":
        return not_(field.equals(value))
    if op in ("in", "nin"):
        any_of = or_(*(field.equals(item) for item in value))
        return any_of if op == "in" else not_(any_of)
    if op == "contains":
        return field.contains(value)
    if op == "exists":
        return field.kind != "missing" if value else field.kind == "missing"
    return field.compare(op, value)


def _column_clause(column: Any, name: str, clause: Clause, path: str) -> ColumnElement[bool]:
    op, value = clause.operator, clause.value
    where = f"{path}.{clause.field}"
    if op == "exists":
        return true() if value else false()
    if op == "contains":
        if name != "id" or not isinstance(value, str):
            raise DefinitionError.at(where, f"$contains on {name} takes a string, and only on id")
        return func.coalesce(column.contains(value, autoescape=True), false())
    values = value if op in ("in", "nin") else [value]
    converted = [_column_value(name, item, where) for item in values]
    if op == "in":
        return column.in_(converted)
    if op == "nin":
        return column.not_in(converted)
    operand = converted[0]
    return {
        "eq": column == operand,
        "ne": column != operand,
        "gt": column > operand,
        "gte": column >= operand,
        "lt": column < operand,
        "lte": column <= operand,
    }[op]


def _column_value(name: str, value: Any, where: str) -> Any:
    if name == "id":
        if not isinstance(value, str):
            raise DefinitionError.at(where, "a record id is a string")
        return value
    if not isinstance(value, str):
        raise DefinitionError.at(where, f"{name} compares with an ISO-8601 instant")
    return parse_instant(value, where)


# --- sorting and pages ----------------------------------------------------------------------------


def page(
    query: SelectOfScalar[Record],
    dialect: str,
    sort: SortKey | None,
    limit: int,
    cursor: str | None,
) -> tuple[SelectOfScalar[Record], Any]:
    """``query`` ordered by ``sort`` (default: newest first) from ``cursor``, one row more than
    ``limit`` (so the caller knows whether a next page exists), and how to make the next cursor
    from the last row of this page."""
    sort = sort or SortKey("created_at", ("created_at",), descending=True)
    uid = col(Record.uid)
    name = sort.path[0] if len(sort.path) == 1 else None
    if name in RECORD_COLUMNS:
        column = RECORD_COLUMNS[name]
        if cursor:
            value, last = _decode(cursor, "k")
            if name != "id":
                try:
                    value = parse_instant(value, "cursor")
                except DefinitionError as exc:
                    raise InvalidCursor("the cursor is not one this API returned") from exc
            after = (column < value) | ((column == value) & (uid < last))
            before = (column > value) | ((column == value) & (uid > last))
            query = query.where(after if sort.descending else before)
        order = [column.desc(), uid.desc()] if sort.descending else [column.asc(), uid.asc()]

        def next_cursor(row: Record, _offset: int) -> str:
            value = getattr(row, "record_id" if name == "id" else str(name))
            text = value.isoformat() if isinstance(value, datetime) else value
            return _encode("k", [text, row.uid])

        return query.order_by(*order).limit(limit + 1), next_cursor
    # A data field: values of mixed kinds order numbers first, then strings, then the rest;
    # pages continue by position (keyset over JSON values of mixed kinds is not worth it).
    field = JsonField(dialect, col(Record.data), sort.path)
    offset = _decode(cursor, "o")[0] if cursor else 0
    keys = [field.number, field.string]
    order = [(k.desc() if sort.descending else k.asc()).nulls_last() for k in keys]
    order.append(uid.desc() if sort.descending else uid.asc())
    query = query.order_by(*order).offset(offset).limit(limit + 1)
    return query, lambda _row, count: _encode("o", [offset + count])


def _encode(kind: str, values: list[Any]) -> str:
    raw = json.dumps({kind: values}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode(cursor: str, kind: str) -> list[Any]:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        values = decoded[kind]
        if kind == "o" and not (isinstance(values[0], int) and values[0] >= 0):
            raise TypeError("offset")
        if kind == "k" and not (isinstance(values[0], str) and type(values[1]) is int):
            raise TypeError("key")
        return list(values)
    except (ValueError, TypeError, KeyError, IndexError) as exc:
        raise InvalidCursor("the cursor is not one this API returned for this sort") from exc
