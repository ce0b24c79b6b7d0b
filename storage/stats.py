"""Statistics per workflow and per action step, for a period: GROUP BY over runs and steps.

Success rate is succeeded / (succeeded + failed): skipped and cancelled runs (and steps) did
neither, and runs still open have not decided yet. A run that went on past a failed step
(``on_error: continue``) and ended ``completed`` did not succeed: it counts as failed
(``storage.analytics.outcomes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy import select as wide_select
from sqlmodel import Session, col, select

from definitions.nodes import ACTION_TYPES
from storage.analytics import (
    Period,
    count_if,
    outcome_counts,
    outcomes,
    rate,
    runs_in,
    seconds_between,
    steps_in,
)
from storage.models import Run, RunStep, Workflow

SLOW_AFTER_SECONDS = 60.0
"""A run that took longer than this from start to end is slow (the alerts use the same)."""


@dataclass
class WorkflowStats:
    workflow_id: str
    name: str
    total: int
    succeeded: int
    """Runs that ended completed or goal_reached with no failed step."""
    failed: int
    """Runs that ended failed, or completed/goal_reached past failed steps."""
    with_failed_steps: int
    """Of ``failed``, the runs that ended completed or goal_reached past failed steps."""
    skipped: int
    cancelled: int
    open: int
    last_executed: datetime | None
    success_rate: float | None
    failure_rate: float | None
    average_seconds: float | None
    """Over the runs that ended."""
    slow_runs: int
    """Runs that ended after more than ``SLOW_AFTER_SECONDS``."""


@dataclass
class StepStats:
    node_id: str
    type: str
    total: int
    succeeded: int
    failed: int
    skipped: int
    last_executed: datetime | None
    success_rate: float | None


def workflow_stats(
    session: Session, tenant_id: str, period: Period, workflow_id: str | None = None
) -> list[WorkflowStats]:
    """One row per workflow with runs in the period, most runs first."""
    status = col(Run.status)
    duration = seconds_between(session, Run.started_at, Run.completed_at)
    rows = session.execute(
        wide_select(
            col(Run.workflow_id),
            func.count(),
            *outcome_counts(),
            count_if(status == "skipped"),
            count_if(status == "cancelled"),
            func.max(Run.started_at),
            func.avg(duration),
            count_if(duration > SLOW_AFTER_SECONDS),
        )
        .where(runs_in(tenant_id, period, workflow_id))
        .group_by(col(Run.workflow_id))
        .order_by(func.count().desc(), col(Run.workflow_id))
    )
    found = list(rows)
    names = dict(
        session.exec(
            select(Workflow.id, Workflow.name).where(
                col(Workflow.id).in_([row[0] for row in found])
            )
        ).all()
    )
    return [_workflow_stats(row, names.get(row[0], "")) for row in found]


def _workflow_stats(row: Any, name: str) -> WorkflowStats:
    wf, total, ended, failed_status, past, skipped, cancelled, last, average, slow = row
    ok, failed = outcomes(ended, failed_status, past)
    # Every status but the open ones is counted above (one aggregate fewer over every run).
    open_ = total - (ended or 0) - (failed_status or 0) - (skipped or 0) - (cancelled or 0)
    return WorkflowStats(
        workflow_id=wf,
        name=name,
        total=total,
        succeeded=ok,
        failed=failed,
        with_failed_steps=past or 0,
        skipped=skipped,
        cancelled=cancelled,
        open=open_,
        last_executed=_utc(last),
        success_rate=rate(ok, ok + failed),
        failure_rate=rate(failed, ok + failed),
        average_seconds=None if average is None else round(float(average), 3),
        slow_runs=slow or 0,
    )


def step_stats(
    session: Session, tenant_id: str, workflow_id: str, period: Period
) -> list[StepStats]:
    """One row per action step of the workflow's runs in the period (a loop's iterations each
    count)."""
    status = col(RunStep.status)
    rows = session.execute(
        wide_select(
            col(RunStep.node_id),
            func.max(RunStep.type),
            func.count(),
            count_if(status == "completed"),
            count_if(status == "failed"),
            count_if(status == "skipped"),
            func.max(RunStep.started_at),
        )
        .where(steps_in(tenant_id, period, workflow_id), col(RunStep.type).in_(ACTION_TYPES))
        .group_by(col(RunStep.node_id))
        .order_by(col(RunStep.node_id))
    )
    return [
        StepStats(node_id, kind, total, ok, failed, skipped, _utc(last), rate(ok, ok + failed))
        for node_id, kind, total, ok, failed, skipped, last in rows
    ]


def _utc(value: datetime | str | None) -> datetime | None:
    """MAX() over a timestamp loses its column type on SQLite (a string comes back)."""
    if value is None:
        return None
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
