"""``RELAY_CANCEL_GRACE`` and ``RELAY_START_DEADLINE`` reach both processes that act on them:
the API (which schedules a cancelled run's termination) and the worker's recoverer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from worker.composition import build_api
from worker.run import build_recoverer
from worker.settings import Settings


def test_the_grace_and_the_deadline_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RELAY_START_DEADLINE", "PT2M")
    monkeypatch.setenv("RELAY_CANCEL_GRACE", "45s")
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.cancel_grace == timedelta(seconds=45)
    assert settings.start_deadline == timedelta(minutes=2)


def test_by_default_a_cancelled_run_has_30_s_and_a_start_10_minutes() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.cancel_grace == timedelta(seconds=30)
    assert settings.start_deadline == timedelta(minutes=10)


def test_a_start_deadline_of_zero_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAY_START_DEADLINE", "0")
    with pytest.raises(ValueError, match="start_deadline"):
        Settings(_env_file=None)  # type: ignore[call-arg]


async def test_the_api_and_the_recoverer_use_the_settings(
    dev_env: WorkflowEnvironment, engine: Engine
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        cancel_grace=timedelta(seconds=7),
        start_deadline=timedelta(minutes=3),
    )
    api = build_api(settings, engine)
    recoverer = build_recoverer(settings, dev_env.client, engine)
    for deps in (api.state.deps, recoverer.deps):  # type: ignore[attr-defined]
        assert deps.cancel_grace == timedelta(seconds=7)
        assert deps.start_deadline == timedelta(minutes=3)
    await api.state.deps.simulator.close()  # type: ignore[attr-defined]
