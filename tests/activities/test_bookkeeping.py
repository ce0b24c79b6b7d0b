"""An action's own bookkeeping: its step running with the steps queued before it, then completed
with its output — and, for the run's last step, the run completed in the same transaction."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from temporalio.testing import ActivityEnvironment

from activities.bookkeeping import complete_action, start_action
from storage.db import session_scope
from storage.models import Run
from storage.runs import start_run
from tests.helpers.db import run_row, steps_of
from workflows.contract import ActionInput, RunRef, StepRecord


def _action(engine: Engine, *, last: bool) -> ActionInput:
    run = RunRef("t_books", f"run_{uuid.uuid4().hex}", "wf", 1)
    with session_scope(engine) as session:
        start_run(session, Run(id=run.run_id, tenant_id=run.tenant_id, workflow_id="wf", version=1))
    now = datetime.now(UTC)
    branch = StepRecord("check", "check", "condition", "completed", 1, started_at=now,
                        completed_at=now, output={"result": True})  # fmt: skip
    step = StepRecord("hook", "hook", "http_request", "running", 2, started_at=now)
    return ActionInput(run, step, {}, 5, pending=[branch], finishes_run=last)


def _start(engine: Engine, input: ActionInput) -> None:
    with session_scope(engine) as session:
        start_action(session, input)


def _complete(engine: Engine, input: ActionInput, output: object) -> None:
    with session_scope(engine) as session:
        complete_action(session, input, output)


def test_an_action_records_the_queued_steps_then_its_own_running_then_completed(
    engine: Engine,
) -> None:
    input = _action(engine, last=False)
    env = ActivityEnvironment()
    env.run(_start, engine, input)
    steps = steps_of(engine, input.run.run_id)
    assert (steps["check"].status, steps["check"].output) == ("completed", {"result": True})
    assert (steps["hook"].status, steps["hook"].attempts) == ("running", 1)

    env.run(_complete, engine, input, {"status": 200})
    hook = steps_of(engine, input.run.run_id)["hook"]
    assert (hook.status, hook.output) == ("completed", {"status": 200})
    assert hook.completed_at is not None
    row = run_row(engine, input.run.run_id)
    assert row is not None and row.status == "running"  # more steps follow: the run goes on


def test_the_last_action_completes_the_run_with_its_step(engine: Engine) -> None:
    input = _action(engine, last=True)
    env = ActivityEnvironment()
    env.run(_start, engine, input)
    env.run(_complete, engine, input, {"status": 204})
    row = run_row(engine, input.run.run_id)
    assert row is not None
    assert row.status == "completed" and row.completed_at is not None
    assert steps_of(engine, input.run.run_id)["hook"].status == "completed"
