"""A run's bookkeeping: its steps and its row, as the interpreter and the actions report them.

``Recorder`` is the interpreter's local activities (``workflows.contract``: steps, the run's
end, watches, marks). Local activities cost no extra round trip through the server, which keeps
a Relay run within a few percent of a hand-written workflow (benchmarks/interpreter_overhead.py).

An action records its own step instead, in its own transactions: ``start_action`` (the step
running, with the steps the workflow queued) and ``complete_action`` (the step completed, and
the run too when it was the last step) — so a run needs no activity beyond its actions.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio import activity

from storage.db import session_scope
from storage.migration_runs import move_run, record_outcome
from storage.models import Run
from storage.runs import finish_run, record_step, set_run_status, start_run
from storage.watches import unwatch, watch
from workflows.contract import (
    FINISH_RUN,
    OPEN_RUN,
    RECORD_MIGRATION,
    RECORD_RUN_MARKS,
    RECORD_STEPS,
    WATCH,
    ActionInput,
    FinishRunInput,
    MigrationOutcomeInput,
    OpenRunInput,
    RecordStepsInput,
    RunMarksInput,
    RunRef,
    StepRecord,
    WatchInput,
)


def _action_step(input: ActionInput, status: str) -> StepRecord:
    """An action's step record at ``status`` in this attempt (it started at the first one)."""
    attempt = activity.info().attempt
    return StepRecord(
        step_key=input.step.step_key,
        node_id=input.step.node_id,
        type=input.step.type,
        seq=input.step.seq,
        status=status,
        attempts=attempt,
        started_at=datetime.now(UTC) if status == "running" and attempt == 1 else None,
    )


def _write_steps(session: Session, run: RunRef, steps: list[StepRecord]) -> None:
    for step in steps:
        record_step(session, run.tenant_id, run.run_id, asdict(step))


def start_action(session: Session, input: ActionInput) -> None:
    """The action's step running (this attempt), with the steps the workflow queued before it."""
    _write_steps(session, input.run, [*input.pending, _action_step(input, "running")])


def complete_action(session: Session, input: ActionInput, output: Any) -> None:
    """The action's step completed with ``output``; when nothing follows it in the run
    (``finishes_run``), the run's completion in the same transaction.

    Unless the workflow decided the step's outcome already: an attempt finishing after the
    workflow gave up on it (timed out, cancelled) leaves the step, and the run, as decided."""
    done = _action_step(input, "completed")
    done.completed_at = datetime.now(UTC)
    done.output = output
    run = input.run
    if not record_step(session, run.tenant_id, run.run_id, asdict(done), decided=False):
        return
    if input.finishes_run:
        close_run(session, input.run, "completed", done.completed_at, watched=input.watched)


class Recorder:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name=RECORD_STEPS)
    async def record_steps(self, input: RecordStepsInput) -> None:
        await asyncio.to_thread(self._record_steps, input)

    def _record_steps(self, input: RecordStepsInput) -> None:
        with session_scope(self._engine) as session:
            _write_steps(session, input.run, input.steps)
            if input.run_status == "waiting":
                set_run_status(session, input.run.run_id, "waiting", only_from="running")
            elif input.run_status == "running":
                set_run_status(session, input.run.run_id, "running", only_from="waiting")

    @activity.defn(name=FINISH_RUN)
    async def finish_run(self, input: FinishRunInput) -> None:
        await asyncio.to_thread(self._finish_run, input)

    def _finish_run(self, input: FinishRunInput) -> None:
        with session_scope(self._engine) as session:
            _write_steps(session, input.run, input.steps)
            close_run(
                session, input.run, input.status, input.completed_at, input.error, input.watched
            )

    @activity.defn(name=OPEN_RUN)
    async def open_run(self, input: OpenRunInput) -> None:
        """The row of a run started by a Temporal Schedule, so it is listed from its start."""
        await asyncio.to_thread(self._open_run, input)

    def _open_run(self, input: OpenRunInput) -> None:
        with session_scope(self._engine) as session:
            started_at = input.run.started_at or datetime.now(UTC)
            _add_row(session, input.run, started_at, trigger=input.trigger)

    @activity.defn(name=WATCH)
    async def watch(self, input: WatchInput) -> None:
        """Start or stop routing the run's events (``POST /v1/events`` signals watchers)."""
        await asyncio.to_thread(self._watch, input)

    def _watch(self, input: WatchInput) -> None:
        with session_scope(self._engine) as session:
            if input.active:
                watch(
                    session, input.run.tenant_id, input.run.run_id, input.entity, input.event_types
                )
            else:
                unwatch(session, input.run.run_id, input.event_types)

    @activity.defn(name=RECORD_RUN_MARKS)
    async def record_run_marks(self, input: RunMarksInput) -> None:
        await asyncio.to_thread(self._record_run_marks, input)

    def _record_run_marks(self, input: RunMarksInput) -> None:
        with session_scope(self._engine) as session:
            _mark_run(session, input.run, variant=input.variant, goal=input.goal)

    @activity.defn(name=RECORD_MIGRATION)
    async def record_migration(self, input: MigrationOutcomeInput) -> None:
        """A run's outcome in a migration; moved, its row is on the new version from now on."""
        await asyncio.to_thread(self._record_migration, input)

    def _record_migration(self, input: MigrationOutcomeInput) -> None:
        run = input.run
        with session_scope(self._engine) as session:
            _write_steps(session, run, input.steps)
            record_outcome(
                session, run.tenant_id, input.migration_id, run.run_id,
                from_version=run.version, to_version=input.to_version, status=input.status,
                plan=input.plan, at=input.at,
            )  # fmt: skip
            if input.status == "moved":
                move_run(session, run.run_id, input.to_version)


def close_run(
    session: Session,
    run: RunRef,
    status: str,
    completed_at: datetime,
    error: dict[str, Any] | None = None,
    watched: bool = True,
) -> None:
    """Record the run's outcome and drop its watches (unless it never ``watched``), so no
    event is routed to a closed run; a run started outside the API (a test, a child run) gets
    its row here."""
    if watched:
        unwatch(session, run.run_id)
    if finish_run(session, run.run_id, status, completed_at, error):
        return
    _add_row(session, run, run.started_at or completed_at)
    finish_run(session, run.run_id, status, completed_at, error)


def _mark_run(
    session: Session, run: RunRef, *, variant: str | None = None, goal: str | None = None
) -> None:
    """Set the run's variant and/or goal (None leaves one as it is); like ``close_run``, a run
    started outside the API gets its row here."""
    marks = {name: value for name, value in (("variant", variant), ("goal", goal)) if value}
    if not marks:
        return
    result = session.execute(
        update(Run).where(Run.id == run.run_id).values(**marks)  # type: ignore[arg-type]
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        _add_row(session, run, run.started_at or datetime.now(UTC), variant, goal)


def _add_row(
    session: Session,
    run: RunRef,
    started_at: datetime,
    variant: str | None = None,
    goal: str | None = None,
    *,
    trigger: dict[str, Any] | None = None,
) -> None:
    """The row of a run started outside the API (a test, a child run, a scheduled run)."""
    start_run(
        session,
        Run(
            id=run.run_id,
            tenant_id=run.tenant_id,
            workflow_id=run.workflow_id,
            version=run.version,
            trigger=trigger,
            started_at=started_at,
            variant=variant,
            goal=goal,
        ),
    )
