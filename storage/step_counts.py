"""How many of a run's steps completed, failed and were skipped.

A run whose action failed under ``on_error: continue`` ends ``completed``: its failed steps are
what tell the truth about it. The counts are read live from the steps here (the API's lists and
details), and kept on the run's row by the database for the aggregates (``Run.steps_failed``,
``storage.analytics.outcome_counts``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, exists, func
from sqlalchemy import select as wide_select
from sqlmodel import Session, col

from storage.models import Run, RunStep

COUNTED = ("completed", "failed", "skipped")


@dataclass(frozen=True)
class StepCounts:
    completed: int = 0
    failed: int = 0
    skipped: int = 0


def counts_of(statuses: Iterable[str]) -> StepCounts:
    """The counts of steps with these statuses (a run's detail has its steps loaded)."""
    found = list(statuses)
    return StepCounts(*(found.count(status) for status in COUNTED))


def count_steps(session: Session, run_ids: list[str]) -> dict[str, StepCounts]:
    """Each run's counts, from its steps as recorded now: one GROUP BY over the runs' steps."""
    if not run_ids:
        return {}
    by_run: dict[str, dict[str, int]] = {}
    rows = session.execute(
        wide_select(col(RunStep.run_id), col(RunStep.status), func.count())
        .where(col(RunStep.run_id).in_(run_ids), col(RunStep.status).in_(COUNTED))
        .group_by(col(RunStep.run_id), col(RunStep.status))
    )
    for run_id, status, count in rows:
        by_run.setdefault(run_id, {})[status] = count
    return {run_id: StepCounts(**by_run.get(run_id, {})) for run_id in run_ids}


def failed_step_exists() -> ColumnElement[bool]:
    """A run (``runs`` in the enclosing query) has a step that failed, as recorded now."""
    return exists().where(col(RunStep.run_id) == col(Run.id), col(RunStep.status) == "failed")
