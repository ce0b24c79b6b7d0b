"""INSERT … ON CONFLICT for the two databases Relay runs on."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel


def upsert(
    session: Session,
    model: type[SQLModel],
    values: dict[str, Any],
    conflict: list[str],
    update: list[str] | None = None,
    where: Callable[[Any, Any], Any] | None = None,
) -> bool:
    """Insert ``values``; on a ``conflict`` key clash update ``update`` columns (or do nothing).

    ``where(table, excluded)`` guards the update: the existing row is kept when it is false.
    Returns whether a row was inserted or updated.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = model.__table__  # type: ignore[attr-defined]
    statement = insert(table).values(**values)
    if update:
        statement = statement.on_conflict_do_update(
            index_elements=conflict,
            set_={column: statement.excluded[column] for column in update},
            where=where(table, statement.excluded) if where else None,
        )
    else:
        statement = statement.on_conflict_do_nothing(index_elements=conflict)
    # RETURNING names the rows written; rowcount does not on every driver (psycopg gives -1).
    written = session.execute(statement.returning(table.c[conflict[0]]))
    return written.first() is not None
