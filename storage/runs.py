"""Writes that record what runs did: steps, run outcomes, deliveries.

Called from activities (through ``asyncio.to_thread``) and from the API when a run starts. Every
write is idempotent, because an activity may be retried after its write committed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import or_, update
from sqlmodel import Session, col, select

from storage.db import UNSYNCHRONIZED, param, write
from storage.models import Delivery, Run, RunStep
from storage.upsert import upsert

TERMINAL_STEP_STATUSES = frozenset({"completed", "failed", "skipped", "cancelled"})


def record_step(
    session: Session, tenant_id: str, run_id: str, step: dict[str, Any], *, decided: bool = True
) -> bool:
    """Upsert one step by (run, step_key), in one statement; False when the row was kept.

    A terminal status is never overwritten by a late non-terminal one (a retried activity's
    "running" after the workflow saw it fail). Only what the workflow ``decided`` overwrites a
    terminal status: an activity's own report (``decided=False``) never does, so an attempt
    that completes after the workflow gave up on it cannot turn ``failed`` into ``completed``.
    """
    step = {k: v for k, v in step.items() if v is not None or k in ("output", "error")}
    values = {"tenant_id": tenant_id, "run_id": run_id, **step}
    return upsert(
        session,
        RunStep,
        values,
        ["run_id", "step_key"],
        update=list(step),
        where=_decided_over if decided else _reported_over,
    )


def _decided_over(table: Any, new: Any) -> Any:
    """What the workflow decided replaces an open status, and a terminal one by a terminal one."""
    return or_(
        table.c.status.not_in(TERMINAL_STEP_STATUSES), new.status.in_(TERMINAL_STEP_STATUSES)
    )


def _reported_over(table: Any, _new: Any) -> Any:
    """What an activity reports replaces an open status only."""
    return table.c.status.not_in(TERMINAL_STEP_STATUSES)


def set_run_status(session: Session, run_id: str, status: str, *, only_from: str) -> None:
    session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status == only_from)  # type: ignore[arg-type]
        .values(status=status)
        .execution_options(**UNSYNCHRONIZED)
    )


def start_run(session: Session, run: Run) -> bool:
    """Insert the run row; False when a run with this id exists already (a redelivery)."""
    return upsert(session, Run, run.model_dump(), ["id"])


_FINISH_RUN = (
    update(Run)
    .where(Run.id == param(Run.id, "run_id"))  # type: ignore[arg-type]
    .values(
        status=param(Run.status, "outcome"),
        completed_at=param(Run.completed_at, "ended_at"),
        error=param(Run.error, "failure"),
    )
    .execution_options(**UNSYNCHRONIZED)
)


def finish_run(
    session: Session,
    run_id: str,
    status: str,
    completed_at: datetime,
    error: dict[str, Any] | None,
) -> bool:
    """Record the run's outcome; False when the run has no row."""
    values = {"run_id": run_id, "outcome": status, "ended_at": completed_at, "failure": error}
    result = write(session, _FINISH_RUN, values)
    return bool(result.rowcount)


def delivered(session: Session, idempotency_key: str) -> Delivery | None:
    return session.exec(
        select(Delivery).where(
            Delivery.idempotency_key == idempotency_key, Delivery.status == "delivered"
        )
    ).first()


def save_delivery(session: Session, delivery: Delivery) -> None:
    values = delivery.model_dump(exclude={"id"})
    upsert(
        session,
        Delivery,
        values,
        ["idempotency_key"],
        update=["status", "transport", "receipt", "summary", "recipient"],
    )


OPEN_RUN_STATUSES = ("running", "waiting")
OPEN_STEP_STATUSES = ("running", "waiting")


def close_open_run(
    session: Session,
    run_id: str,
    status: str,
    completed_at: datetime,
    error: dict[str, Any] | None,
) -> bool:
    """End a run the database still shows open (its open steps end ``cancelled``); False when
    it has ended already — the run's own record of its end is never overwritten."""
    result = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status.in_(OPEN_RUN_STATUSES))  # type: ignore[arg-type,attr-defined]
        .values(status=status, completed_at=completed_at, error=error)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    session.execute(
        update(RunStep)
        .where(RunStep.run_id == run_id, RunStep.status.in_(OPEN_STEP_STATUSES))  # type: ignore[arg-type,attr-defined]
        .values(status="cancelled", completed_at=completed_at)
    )
    return True


def open_runs_after(
    session: Session, after: str, before: datetime, limit: int, tenant_id: str | None = None
) -> list[Run]:
    """Up to ``limit`` open runs (of ``tenant_id`` only, if given) by id after ``after``,
    started before ``before``."""
    query = select(Run).where(
        col(Run.id) > after,
        col(Run.status).in_(OPEN_RUN_STATUSES),
        col(Run.started_at) < before,
    )
    if tenant_id is not None:
        query = query.where(col(Run.tenant_id) == tenant_id)
    return list(session.exec(query.order_by(col(Run.id)).limit(limit)))
