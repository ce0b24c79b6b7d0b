"""Step and run records: idempotent, and a late write never undoes an outcome."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy.engine import Engine

from storage.db import session_scope
from storage.models import Run, RunStep
from storage.runs import finish_run, record_step, start_run


def _step(run_id: str, engine: Engine) -> RunStep:
    with session_scope(engine) as session:
        rows = session.query(RunStep).filter_by(run_id=run_id, step_key="s").all()
    assert len(rows) == 1
    return rows[0]


def _record(engine: Engine, run_id: str, **fields: object) -> None:
    with session_scope(engine) as session:
        record_step(
            session,
            "t_store",
            run_id,
            {"step_key": "s", "node_id": "s", "type": "http_request", **fields},
        )


def test_a_late_running_write_does_not_undo_a_failure(engine: Engine) -> None:
    run_id = f"run_{uuid.uuid4().hex}"
    _record(engine, run_id, status="running", attempts=1)
    _record(engine, run_id, status="failed", error={"type": "timeout"})
    _record(engine, run_id, status="running", attempts=2)  # a zombie attempt reporting late
    step = _step(run_id, engine)
    assert (step.status, step.attempts, step.error) == ("failed", 1, {"type": "timeout"})


def test_attempts_left_unset_keep_the_recorded_count(engine: Engine) -> None:
    run_id = f"run_{uuid.uuid4().hex}"
    _record(engine, run_id, status="running", attempts=3)
    _record(engine, run_id, status="completed", attempts=None, output={"ok": True})
    step = _step(run_id, engine)
    assert (step.status, step.attempts, step.output) == ("completed", 3, {"ok": True})


def test_start_run_is_idempotent_and_finish_reports_a_missing_row(engine: Engine) -> None:
    run = Run(id=f"run_{uuid.uuid4().hex}", tenant_id="t_store", workflow_id="wf", version=1)
    with session_scope(engine) as session:
        assert start_run(session, run) is True
    with session_scope(engine) as session:
        assert start_run(session, run.model_copy()) is False
        assert finish_run(session, run.id, "completed", datetime.now(UTC), None) is True
        assert finish_run(session, "run_missing", "completed", datetime.now(UTC), None) is False
