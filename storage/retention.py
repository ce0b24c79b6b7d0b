"""Retention: rows older than a cut-off removed in small batches, one transaction each.

Each batch holds its locks (on SQLite: the database's write lock) only for the few
milliseconds it deletes ``batch_size`` rows in, so the API and the runs keep writing between
batches while a large backlog is removed.

What goes:
- a run that *ended* before the cut-off, with everything that belongs to it — its steps,
  deliveries and watches. A run still open (running, waiting) is never removed, however old,
  and nor is anything of it;
- events received, event outcomes, notifications and record changes (the records' audit trail)
  created before the cut-off;
- deliveries and watches older than the cut-off whose run no longer exists;
- alert marks older than the cut-off (an alert only looks an hour back);
- audit-log entries older than the cut-off, except those about a run still kept: the audit
  log is never shorter than the run history it explains (who cancelled or retried a run).

Batches walk each table in key order from where the previous one stopped, so a batch never
re-reads what earlier ones have deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, or_
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.analytics import OPEN_STATUSES
from storage.db import session_scope
from storage.models import (
    AlertMark,
    AuditEntry,
    Delivery,
    Event,
    EventOutcome,
    Notification,
    RecordChange,
    Run,
    RunStep,
    RunWatch,
)

BATCH_SIZE = 1000


@dataclass
class RetentionReport:
    cutoff: datetime
    deleted: dict[str, int] = field(default_factory=dict)
    """Rows removed, per table."""
    batches: int = 0
    """Transactions it took."""

    def add(self, table: str, count: int) -> None:
        self.deleted[table] = self.deleted.get(table, 0) + count


def apply_retention(
    engine: Engine, cutoff: datetime, batch_size: int = BATCH_SIZE
) -> RetentionReport:
    """Remove what is older than ``cutoff`` (see the module's docstring), ``batch_size`` rows of
    a table per transaction."""
    report = RetentionReport(cutoff)
    _remove_runs(engine, cutoff, batch_size, report)
    without_run = ~exists().where(col(Run.id) == col(Delivery.run_id))
    about_no_kept_run = or_(
        col(AuditEntry.target_type) != "run",
        ~exists().where(col(Run.id) == col(AuditEntry.target_id)),
    )
    sweeps: Sequence[tuple[Any, Any, ColumnElement[bool] | None]] = (
        (Event, Event.received_at, None),
        (EventOutcome, EventOutcome.created_at, None),
        (Notification, Notification.created_at, None),
        (RecordChange, RecordChange.created_at, None),
        (Delivery, Delivery.created_at, without_run),
        (RunWatch, RunWatch.created_at, ~exists().where(col(Run.id) == col(RunWatch.run_id))),
        (AuditEntry, AuditEntry.at, about_no_kept_run),
    )
    for model, created, condition in sweeps:
        _sweep(engine, model, col(created) < cutoff, condition, batch_size, report)
    with session_scope(engine) as session:
        report.add("alert_marks", _delete(session, AlertMark, col(AlertMark.alerted_at) < cutoff))
    report.batches += 1
    return report


def _remove_runs(
    engine: Engine, cutoff: datetime, batch_size: int, report: RetentionReport
) -> None:
    """Ended runs by completion time, with their steps, deliveries and watches."""
    after: tuple[datetime, str] | None = None
    while True:
        with session_scope(engine) as session:
            rows = _ended_runs(session, cutoff, after, batch_size)
            if not rows:
                return
            ids = [run_id for run_id, _ in rows]
            report.add("run_steps", _delete(session, RunStep, col(RunStep.run_id).in_(ids)))
            report.add("deliveries", _delete(session, Delivery, col(Delivery.run_id).in_(ids)))
            report.add("run_watches", _delete(session, RunWatch, col(RunWatch.run_id).in_(ids)))
            report.add("runs", _delete(session, Run, col(Run.id).in_(ids)))
        report.batches += 1
        after = (rows[-1][1], rows[-1][0])
        if len(rows) < batch_size:
            return


def _ended_runs(
    session: Session, cutoff: datetime, after: tuple[datetime, str] | None, limit: int
) -> list[tuple[str, datetime]]:
    ended = col(Run.completed_at)
    query = (
        select(Run.id, Run.completed_at)
        .where(ended < cutoff, col(Run.status).not_in(OPEN_STATUSES))
        .order_by(ended, col(Run.id))
        .limit(limit)
    )
    if after is not None:
        query = query.where(or_(ended > after[0], and_(ended == after[0], col(Run.id) > after[1])))
    return [(run_id, completed) for run_id, completed in session.exec(query) if completed]


def _sweep(
    engine: Engine,
    model: Any,
    older: ColumnElement[bool],
    condition: ColumnElement[bool] | None,
    batch_size: int,
    report: RetentionReport,
) -> None:
    """Delete ``model``'s rows matching ``older`` (and ``condition``), in id order."""
    key = col(model.id)
    last = 0
    while True:
        with session_scope(engine) as session:
            query = select(key).where(key > last, older).order_by(key).limit(batch_size)
            if condition is not None:
                query = query.where(condition)
            ids = list(session.exec(query))
            if not ids:
                return
            report.add(model.__tablename__, _delete(session, model, key.in_(ids)))
        report.batches += 1
        last = ids[-1]
        if len(ids) < batch_size:
            return


def _delete(session: Session, model: Any, where: ColumnElement[bool]) -> int:
    deleted: int = session.execute(delete(model).where(where)).rowcount  # type: ignore[attr-defined]
    return deleted
