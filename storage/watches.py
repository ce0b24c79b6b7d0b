"""Which runs wait for which events: the index ``POST /v1/events`` routes events through.

A run registers a watch (an entity and event types) when it starts waiting for an event and
drops it when it stops; the API then finds the runs to signal with one indexed query instead of
scanning runs or Temporal's visibility store, which lags behind.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import delete, func
from sqlmodel import Session, col, select

from storage.models import RunWatch
from storage.upsert import upsert

ANY_EVENT = "*"
"""The event type of a watch that every event for its entity matches."""


def watch(
    session: Session, tenant_id: str, run_id: str, entity: str, event_types: Iterable[str]
) -> None:
    """Route events of ``event_types`` about ``entity`` to ``run_id``; watching a type twice
    keeps one watch (for the latest entity)."""
    for event_type in dict.fromkeys(event_types):
        upsert(
            session,
            RunWatch,
            {"tenant_id": tenant_id, "run_id": run_id, "entity": entity, "event_type": event_type},
            ["run_id", "event_type"],
            update=["tenant_id", "entity"],
        )


def unwatch(session: Session, run_id: str, event_types: Iterable[str] | None = None) -> None:
    """Stop routing ``event_types`` (all of them when None) to ``run_id``."""
    statement = delete(RunWatch).where(col(RunWatch.run_id) == run_id)
    if event_types is not None:
        statement = statement.where(col(RunWatch.event_type).in_(list(event_types)))
    session.execute(statement)


def runs_watching(session: Session, tenant_id: str, entity: str, event_type: str) -> list[str]:
    """The ids of the runs waiting for an ``event_type`` event about ``entity`` (or any event
    about it), each once, oldest watch first."""
    statement = (
        select(RunWatch.run_id)
        .where(
            RunWatch.tenant_id == tenant_id,
            RunWatch.entity == entity,
            col(RunWatch.event_type).in_([event_type, ANY_EVENT]),
        )
        .group_by(col(RunWatch.run_id))
        .order_by(func.min(RunWatch.created_at), col(RunWatch.run_id))
    )
    return list(session.exec(statement))
