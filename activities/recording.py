"""Recording of step and run state, run as local activities by the interpreter.

Local activities cost no extra round trip through the server, which keeps a Relay run within a
few percent of a hand-written workflow (see benchmarks/interpreter_overhead.py).
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio import activity

from activities.inputs import FinishRunInput, RecordStepsInput, RunRef, StepRecord
from storage.db import session_scope
from storage.models import Run
from storage.runs import finish_run, record_step, set_run_status, start_run


def record_steps_in(session: Session, run: RunRef, steps: list[StepRecord]) -> None:
    for step in steps:
        record_step(session, run.tenant_id, run.run_id, asdict(step))


class Recorder:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name="relay.record_steps")
    async def record_steps(self, input: RecordStepsInput) -> None:
        await asyncio.to_thread(self._record_steps, input)

    def _record_steps(self, input: RecordStepsInput) -> None:
        with session_scope(self._engine) as session:
            record_steps_in(session, input.run, input.steps)
            if input.run_status == "waiting":
                set_run_status(session, input.run.run_id, "waiting", only_from="running")
            elif input.run_status == "running":
                set_run_status(session, input.run.run_id, "running", only_from="waiting")

    @activity.defn(name="relay.finish_run")
    async def finish_run(self, input: FinishRunInput) -> None:
        await asyncio.to_thread(self._finish_run, input)

    def _finish_run(self, input: FinishRunInput) -> None:
        with session_scope(self._engine) as session:
            record_steps_in(session, input.run, input.steps)
            close_run(session, input.run, input.status, input.completed_at, input.error)


def close_run(
    session: Session,
    run: RunRef,
    status: str,
    completed_at: datetime,
    error: dict[str, Any] | None = None,
) -> None:
    """Record the run's outcome; a run started outside the API (a test, a child run) gets its
    row here."""
    if finish_run(session, run.run_id, status, completed_at, error):
        return
    start_run(
        session,
        Run(
            id=run.run_id,
            tenant_id=run.tenant_id,
            workflow_id=run.workflow_id,
            version=run.version,
            started_at=run.started_at or completed_at,
        ),
    )
    finish_run(session, run.run_id, status, completed_at, error)
