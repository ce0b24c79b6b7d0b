"""INSERT … ON CONFLICT for the two databases Relay runs on."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

Guard = Callable[[Any, Any], Any]
"""``where(table, excluded)``: when the existing row may be updated."""


def upsert(
    session: Session,
    model: type[SQLModel],
    values: dict[str, Any],
    conflict: list[str],
    update: list[str] | None = None,
    where: Guard | None = None,
) -> bool:
    """Insert ``values``; on a ``conflict`` key clash update ``update`` columns (or do nothing).

    ``where(table, excluded)`` guards the update: the existing row is kept when it is false
    (pass a module-level function: the statement is built once per guard). Returns whether a
    row was inserted or updated.
    """
    statement = _statement(
        session.get_bind().dialect.name,
        model.__table__,  # type: ignore[attr-defined]
        tuple(conflict),
        tuple(update or ()),
        where,
    )
    # RETURNING names the rows written; rowcount does not on every driver (psycopg gives -1).
    written = session.execute(statement, values)
    return written.first() is not None


@cache
def _statement(
    dialect: str,
    table: Table,
    conflict: tuple[str, ...],
    update: tuple[str, ...],
    where: Guard | None,
) -> Any:
    """The statement, built once per shape: building SQLAlchemy constructs (``excluded``
    proxies, the conflict clause) cost more than the write itself on every step a run records.
    Its values are bound at execution, so one statement serves every row."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table)
    if update:
        statement = statement.on_conflict_do_update(
            index_elements=list(conflict),
            set_={column: statement.excluded[column] for column in update},
            where=where(table, statement.excluded) if where else None,
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=list(conflict))
    return statement.returning(table.c[conflict[0]])
