"""Reading back what runs recorded."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlmodel import col, select

from storage.db import session_scope
from storage.models import Delivery, Run, RunStep, RunWatch


def steps_of(engine: Engine, run_id: str) -> dict[str, RunStep]:
    with session_scope(engine) as session:
        rows = session.exec(
            select(RunStep).where(RunStep.run_id == run_id).order_by(col(RunStep.seq))
        )
        return {row.node_id: row for row in rows}


def run_row(engine: Engine, run_id: str) -> Run | None:
    with session_scope(engine) as session:
        return session.get(Run, run_id)


def deliveries_of(engine: Engine, run_id: str) -> list[Delivery]:
    with session_scope(engine) as session:
        return list(session.exec(select(Delivery).where(Delivery.run_id == run_id)))


def step_rows(engine: Engine, run_id: str) -> list[RunStep]:
    """Every step row of a run, loop iterations included, in the order they were taken."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(RunStep).where(RunStep.run_id == run_id).order_by(col(RunStep.seq))
        )
        return list(rows)


def watches_of(engine: Engine, run_id: str) -> set[tuple[str, str]]:
    """The run's watches as (entity, event type): what routes events to it."""
    with session_scope(engine) as session:
        rows = session.exec(select(RunWatch).where(RunWatch.run_id == run_id))
        return {(row.entity, row.event_type) for row in rows}
