"""The pacing settings reach the processes that act on them: the API's door
(``RELAY_INTAKE_*``) and the worker's workflow tasks at once (``RELAY_WORKFLOW_TASKS``)."""

from __future__ import annotations

import pytest
from sqlalchemy.engine import Engine

from worker.composition import build_api
from worker.run import polling
from worker.settings import Settings


def test_a_worker_executes_the_configured_workflow_tasks_and_polls_no_more(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert polling(Settings(_env_file=None))["max_concurrent_workflow_tasks"] == 50  # type: ignore[call-arg]
    monkeypatch.setenv("RELAY_WORKFLOW_TASKS", "8")
    options = polling(Settings(_env_file=None))  # type: ignore[call-arg]
    # A poll beyond the tasks it may execute would hold a task it cannot start.
    assert options["max_concurrent_workflow_tasks"] == 8
    assert options["max_concurrent_workflow_task_polls"] == 8


def test_the_api_paces_by_the_settings_and_not_at_all_at_zero(
    monkeypatch: pytest.MonkeyPatch, engine: Engine
) -> None:
    monkeypatch.setenv("RELAY_INTAKE_MAX_QUEUE_AGE", "2")
    monkeypatch.setenv("RELAY_INTAKE_MAX_HOLD", "3")
    pace = build_api(Settings(_env_file=None), engine).state.deps.pace  # type: ignore[attr-defined,call-arg]
    assert (pace.max_queue_age, pace.max_hold) == (2.0, 3.0)
    monkeypatch.setenv("RELAY_INTAKE_MAX_QUEUE_AGE", "0")
    assert build_api(Settings(_env_file=None), engine).state.deps.pace is None  # type: ignore[attr-defined,call-arg]
