"""The alerts' queries: workflows failing or slow in the last hour, and which were alerted when.

A run counts for the hour in which it *ended*: failure and slowness are facts about finished
runs, and a run that waited two days before failing fails now.

- Failing: more than half of the workflow's decided runs (succeeded + failed, as in
  ``storage.stats``) failed — ended ``failed``, or went on past a failed step
  (``on_error: continue``) and ended ``completed``.
- Slow: a run whose *active time* exceeds ``SLOW_AFTER_SECONDS``. Active time is the sum of the
  durations of the run's action steps (``ACTION_TYPES``: sends, HTTP calls, record actions,
  custom activities) — the time spent doing the run's work. Waits are left out (a run that
  waits two days for a reply is not slow), and so are the flow nodes (``for_each``,
  ``parallel``…) whose span already holds their steps'.

Each workflow is alerted at most once per kind within ``WINDOW``: ``claim`` records the time of
the alert in ``alert_marks``, in the transaction that stores its notification.

Runs of ``SYSTEM_TENANT`` — Relay's own maintenance runs — are never alerted on.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func
from sqlalchemy import select as wide_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from definitions.nodes import ACTION_TYPES
from storage.analytics import count_if, outcome_counts, outcomes, seconds_between
from storage.models import AlertMark, Run, RunStep, Workflow
from storage.notifications import notify
from storage.stats import SLOW_AFTER_SECONDS

SYSTEM_TENANT = "_relay"
"""The reserved tenant id Relay's own maintenance runs are recorded under: no API key belongs
to it, so no tenant's API lists them; the Temporal UI shows them."""

WINDOW = timedelta(hours=1)
FAILURE_RATE_ABOVE = 0.5
FAILING = "alert.failure_rate"
SLOW = "alert.slow_runs"
RECIPIENT = "admins"
"""Who a tenant's alerts are for (``GET /v1/notifications?recipient=admins``)."""


@dataclass(frozen=True)
class Alert:
    tenant_id: str
    workflow_id: str
    kind: str
    runs: int
    """The workflow's runs that ended in the window (failing: decided ones; slow: with steps)."""
    count: int
    """Of those, how many failed (failing) or were slow (slow)."""
    seconds: float | None = None
    """Slow: the longest active time of a run, in seconds."""


def _ended_in(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(
        col(Run.completed_at) >= start,
        col(Run.completed_at) < end,
        col(Run.tenant_id) != SYSTEM_TENANT,
    )


def failing_workflows(session: Session, start: datetime, end: datetime) -> list[Alert]:
    """Workflows with more than half of their decided runs failing in [start, end)."""
    rows = session.execute(
        wide_select(
            col(Run.tenant_id),
            col(Run.workflow_id),
            *outcome_counts(),
        )
        .where(_ended_in(start, end))
        .group_by(col(Run.tenant_id), col(Run.workflow_id))
        .order_by(col(Run.tenant_id), col(Run.workflow_id))
    )
    alerts = []
    for tenant, workflow, *counts in rows:
        ok, failed = outcomes(*counts)
        if failed and failed / (failed + ok) > FAILURE_RATE_ABOVE:
            alerts.append(Alert(tenant, workflow, FAILING, failed + ok, failed))
    return alerts


def slow_workflows(session: Session, start: datetime, end: datetime) -> list[Alert]:
    """Workflows with a run that ended in [start, end) after more than ``SLOW_AFTER_SECONDS``
    of active time."""
    step_seconds = seconds_between(session, RunStep.started_at, RunStep.completed_at)
    per_run = (
        wide_select(
            col(Run.tenant_id).label("tenant_id"),
            col(Run.workflow_id).label("workflow_id"),
            func.sum(step_seconds).label("active"),
        )
        .join(RunStep, col(RunStep.run_id) == col(Run.id))
        .where(
            _ended_in(start, end),
            col(RunStep.type).in_(ACTION_TYPES),
            col(RunStep.started_at).is_not(None),
            col(RunStep.completed_at).is_not(None),
        )
        .group_by(col(Run.tenant_id), col(Run.workflow_id), col(Run.id))
        .subquery()
    )
    rows = session.execute(
        wide_select(
            per_run.c.tenant_id,
            per_run.c.workflow_id,
            func.count(),
            count_if(per_run.c.active > SLOW_AFTER_SECONDS),
            func.max(per_run.c.active),
        )
        .group_by(per_run.c.tenant_id, per_run.c.workflow_id)
        .order_by(per_run.c.tenant_id, per_run.c.workflow_id)
    )
    return [
        Alert(tenant, workflow, SLOW, runs, slow, round(float(longest), 3))
        for tenant, workflow, runs, slow, longest in rows
        if slow
    ]


def claim(session: Session, alert: Alert, at: datetime) -> bool:
    """Mark ``alert`` as sent at ``at``, unless its workflow had an alert of the same kind in
    the ``WINDOW`` before: True when it is to be sent. Concurrent checks claim it once."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    table: Any = AlertMark.__table__  # type: ignore[attr-defined]
    statement = (
        insert(table)
        .values(
            tenant_id=alert.tenant_id, workflow_id=alert.workflow_id, kind=alert.kind, alerted_at=at
        )
        .on_conflict_do_update(
            index_elements=["tenant_id", "workflow_id", "kind"],
            set_={"alerted_at": at},
            where=table.c.alerted_at <= at - WINDOW,
        )
        # A row comes back when it was inserted or updated, none when the mark is recent.
        .returning(table.c.kind)
    )
    return session.execute(statement).first() is not None


def raise_alerts(session: Session, at: datetime) -> list[Alert]:
    """Check the ``WINDOW`` before ``at``; store a notification for each workflow's tenant
    (``RECIPIENT``) for every alert not already sent within the window. Returns those sent."""
    start = at - WINDOW
    found = failing_workflows(session, start, at) + slow_workflows(session, start, at)
    sent = [alert for alert in found if claim(session, alert, at)]
    names = _names(session, {alert.workflow_id for alert in sent})
    for alert in sent:
        name = names.get(alert.workflow_id, alert.workflow_id)
        notify(
            session,
            alert.tenant_id,
            RECIPIENT,
            _message(alert, name),
            link=_link(alert),
            kind=alert.kind,
            data={
                "workflow_id": alert.workflow_id,
                "runs": alert.runs,
                "count": alert.count,
                "seconds": alert.seconds,
                "window_start": start.isoformat(),
                "window_end": at.isoformat(),
            },
            key=f"{alert.kind}:{alert.workflow_id}:{at.isoformat()}",
        )
    return sent


def _message(alert: Alert, name: str) -> str:
    if alert.kind == FAILING:
        share = round(100 * alert.count / alert.runs)
        return (
            f"Workflow {name!r}: {alert.count} of {alert.runs} runs failed in the last hour "
            f"({share}%)"
        )
    return (
        f"Workflow {name!r}: {alert.count} of {alert.runs} runs took more than "
        f"{SLOW_AFTER_SECONDS:g} s of active time in the last hour (longest {alert.seconds:g} s)"
    )


def _link(alert: Alert) -> str:
    if alert.kind == FAILING:
        return f"/v1/runs?workflow_id={alert.workflow_id}&has_failed_steps=true"
    return f"/v1/workflows/{alert.workflow_id}/analytics"


def _names(session: Session, workflow_ids: set[str]) -> dict[str, str]:
    if not workflow_ids:
        return {}
    rows = session.exec(
        select(Workflow.id, Workflow.name).where(col(Workflow.id).in_(workflow_ids))
    ).all()
    return dict(rows)
