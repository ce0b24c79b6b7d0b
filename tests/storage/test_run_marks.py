"""A run's marks (the A/B variant it took, the goal it reached), as analytics group by them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.engine import Engine
from temporalio.testing import ActivityEnvironment

from activities.bookkeeping import Recorder, close_run
from storage.db import session_scope
from storage.models import Run
from storage.runs import start_run
from tests.helpers.db import run_row
from workflows.contract import RunMarksInput, RunRef


def _run(engine: Engine) -> RunRef:
    run = RunRef("t_marks", f"run_{uuid.uuid4().hex}", "wf", 1)
    with session_scope(engine) as session:
        start_run(session, Run(id=run.run_id, tenant_id=run.tenant_id, workflow_id="wf", version=1))
    return run


async def test_marks_are_set_one_at_a_time_and_none_keeps_a_mark(engine: Engine) -> None:
    run = _run(engine)
    recorder, env = Recorder(engine), ActivityEnvironment()
    await env.run(recorder.record_run_marks, RunMarksInput(run, variant="B"))
    await env.run(recorder.record_run_marks, RunMarksInput(run, goal="converted"))
    row = run_row(engine, run.run_id)
    assert row is not None
    assert (row.variant, row.goal) == ("B", "converted")


async def test_a_run_without_a_row_gets_one_and_keeps_its_marks_when_closed(
    engine: Engine,
) -> None:
    run = RunRef("t_marks", f"run_{uuid.uuid4().hex}", "wf", 1)
    await ActivityEnvironment().run(
        Recorder(engine).record_run_marks, RunMarksInput(run, variant="A", goal="booked")
    )
    with session_scope(engine) as session:
        close_run(session, run, "goal_reached", datetime.now(UTC))
    row = run_row(engine, run.run_id)
    assert row is not None
    assert (row.status, row.variant, row.goal) == ("goal_reached", "A", "booked")
