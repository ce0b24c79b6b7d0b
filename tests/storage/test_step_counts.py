"""A run's completed, failed and skipped steps: counted live for lists, kept on the run's row
by the database for the statistics — whatever order a run and its steps are written in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from storage.analytics import Period, workflow_analytics
from storage.db import session_scope
from storage.models import Run
from storage.runs import finish_run, record_step, set_run_status, start_run
from storage.stats import workflow_stats
from storage.step_counts import StepCounts, count_steps, failed_step_exists

T0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
PERIOD = Period(T0, T0 + timedelta(days=1))


def _ids() -> tuple[str, str]:
    return f"t_{uuid.uuid4().hex[:8]}", f"wf_{uuid.uuid4().hex[:8]}"


def _step(engine: Engine, tenant: str, run_id: str, seq: int, status: str) -> None:
    with session_scope(engine) as session:
        record_step(
            session, tenant, run_id,
            {"step_key": f"s{seq}", "seq": seq, "node_id": f"s{seq}", "type": "http_request",
             "status": status, "started_at": T0, "completed_at": T0 + timedelta(seconds=1)},
        )  # fmt: skip


def _start(engine: Engine, tenant: str, workflow: str, run_id: str) -> None:
    with session_scope(engine) as session:
        start_run(session, Run(id=run_id, tenant_id=tenant, workflow_id=workflow, version=1,
                               started_at=T0))  # fmt: skip


def _finish(engine: Engine, run_id: str, status: str = "completed") -> None:
    with session_scope(engine) as session:
        finish_run(session, run_id, status, T0 + timedelta(minutes=1), None)


def _row_counts(engine: Engine, run_id: str) -> StepCounts:
    with session_scope(engine) as session:
        run = session.get(Run, run_id)
        assert run is not None
        return StepCounts(run.steps_completed, run.steps_failed, run.steps_skipped)


def _live_counts(engine: Engine, run_id: str) -> StepCounts:
    with session_scope(engine) as session:
        return count_steps(session, [run_id])[run_id]


def test_a_run_that_went_on_past_a_failed_step_ends_with_its_counts(engine: Engine) -> None:
    tenant, workflow = _ids()
    run_id = f"run_{uuid.uuid4().hex}"
    _start(engine, tenant, workflow, run_id)
    _step(engine, tenant, run_id, 1, "running")
    _step(engine, tenant, run_id, 1, "failed")
    _step(engine, tenant, run_id, 2, "skipped")
    _step(engine, tenant, run_id, 3, "completed")
    assert _live_counts(engine, run_id) == StepCounts(completed=1, failed=1, skipped=1)
    _finish(engine, run_id)
    assert _row_counts(engine, run_id) == StepCounts(completed=1, failed=1, skipped=1)


def test_steps_written_before_their_run_row_are_counted(engine: Engine) -> None:
    """A child run's row is written when it ends, after its steps."""
    tenant, workflow = _ids()
    run_id = f"run_{uuid.uuid4().hex}"
    _step(engine, tenant, run_id, 1, "failed")
    _step(engine, tenant, run_id, 2, "completed")
    _start(engine, tenant, workflow, run_id)
    _finish(engine, run_id)
    assert _row_counts(engine, run_id) == StepCounts(completed=1, failed=1)


def test_a_step_written_after_its_run_ended_is_counted(engine: Engine) -> None:
    tenant, workflow = _ids()
    run_id = f"run_{uuid.uuid4().hex}"
    _start(engine, tenant, workflow, run_id)
    _step(engine, tenant, run_id, 1, "completed")
    _finish(engine, run_id)
    _step(engine, tenant, run_id, 2, "failed")
    assert _row_counts(engine, run_id) == StepCounts(completed=1, failed=1)
    _step(engine, tenant, run_id, 2, "completed")  # a hand-written fix
    assert _row_counts(engine, run_id) == StepCounts(completed=2)


def test_an_open_runs_row_is_counted_at_its_status_changes(engine: Engine) -> None:
    tenant, workflow = _ids()
    run_id = f"run_{uuid.uuid4().hex}"
    _start(engine, tenant, workflow, run_id)
    _step(engine, tenant, run_id, 1, "failed")
    assert _row_counts(engine, run_id) == StepCounts()  # the row waits for a status change
    assert _live_counts(engine, run_id) == StepCounts(failed=1)  # what the API shows
    with session_scope(engine) as session:
        set_run_status(session, run_id, "waiting", only_from="running")
    assert _row_counts(engine, run_id) == StepCounts(failed=1)


def test_runs_with_failed_steps_are_found_by_their_steps(engine: Engine) -> None:
    tenant, workflow = _ids()
    clean, failing = f"run_{uuid.uuid4().hex}", f"run_{uuid.uuid4().hex}"
    for run_id in (clean, failing):
        _start(engine, tenant, workflow, run_id)
        _step(engine, tenant, run_id, 1, "completed")
    _step(engine, tenant, failing, 2, "failed")  # still open: found all the same
    query = select(Run.id).where(Run.tenant_id == tenant)
    with session_scope(engine) as session:
        assert list(session.exec(query.where(failed_step_exists()))) == [failing]
        assert list(session.exec(query.where(~failed_step_exists()))) == [clean]
    with session_scope(engine) as session:
        assert count_steps(session, [clean, failing, "run_unknown"]) == {
            clean: StepCounts(completed=1),
            failing: StepCounts(completed=1, failed=1),
            "run_unknown": StepCounts(),
        }


@pytest.fixture
def best_effort(engine: Engine) -> tuple[str, str]:
    """Two runs of a workflow whose only action failed under ``on_error: continue`` (ended
    completed), one that succeeded, one that failed outright and one goal reached past a
    failure."""
    tenant, workflow = _ids()
    outcomes = [("completed", "failed"), ("completed", "failed"), ("completed", "completed"),
                ("failed", "failed"), ("goal_reached", "failed")]  # fmt: skip
    for status, step_status in outcomes:
        run_id = f"run_{uuid.uuid4().hex}"
        _start(engine, tenant, workflow, run_id)
        _step(engine, tenant, run_id, 1, step_status)
        _finish(engine, run_id, status)
    return tenant, workflow


def test_statistics_count_runs_past_failed_steps_as_failed(
    engine: Engine, best_effort: tuple[str, str]
) -> None:
    tenant, workflow = best_effort
    with session_scope(engine) as session:
        [row] = workflow_stats(session, tenant, PERIOD)
    assert (row.total, row.succeeded, row.failed, row.with_failed_steps) == (5, 1, 4, 3)
    assert (row.success_rate, row.failure_rate) == (0.2, 0.8)


def test_analytics_count_runs_past_failed_steps_as_failed(
    engine: Engine, best_effort: tuple[str, str]
) -> None:
    tenant, workflow = best_effort
    with session_scope(engine) as session:
        figures = workflow_analytics(session, tenant, workflow, PERIOD)
    assert figures.by_status == {"completed": 3, "failed": 1, "goal_reached": 1}
    assert (figures.succeeded, figures.failed, figures.with_failed_steps) == (1, 4, 3)
    assert figures.success_rate == 0.2
