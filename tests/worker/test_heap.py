"""``relay worker`` and ``relay api`` freeze what they built before they serve (``worker.heap``)."""

import asyncio
import gc
import signal
import uuid
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from temporalio.testing import WorkflowEnvironment

from storage.db import upgrade
from tests.helpers.polling import eventually
from worker.cli import _serve_api
from worker.heap import API_YOUNG_THRESHOLD, settle
from worker.run import run_worker
from worker.settings import Settings


@pytest.fixture
def restored_collector() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.mark.usefixtures("restored_collector")
def test_settle_freezes_what_lives_and_keeps_the_thresholds() -> None:
    threshold = gc.get_threshold()
    settle()
    assert gc.get_freeze_count() > 1000  # this process's modules, at least
    assert gc.get_threshold() == threshold


@pytest.mark.usefixtures("restored_collector")
def test_the_api_raises_only_the_young_threshold() -> None:
    _, middle, oldest = gc.get_threshold()
    settle(API_YOUNG_THRESHOLD)
    assert gc.get_threshold() == (API_YOUNG_THRESHOLD, middle, oldest)


@pytest.mark.usefixtures("restored_collector")
def test_a_cycle_made_after_settling_is_still_collected() -> None:
    settle()
    first, second = Node(), Node()
    first.other, second.other = second, first
    gone = weakref.ref(first)
    del first, second
    assert gone() is not None  # a cycle: reference counting alone cannot free it
    gc.collect()
    assert gone() is None


@pytest.mark.usefixtures("restored_collector")
def test_relay_api_settles_before_it_serves(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gc.unfreeze()
    serving: dict[str, Any] = {}

    def serve(app: object, **_: object) -> None:  # the collector as uvicorn would find it
        serving.update(frozen=gc.get_freeze_count(), threshold=gc.get_threshold())

    monkeypatch.setattr(uvicorn, "run", serve)
    assert _serve_api(Settings(database_url=f"sqlite:///{tmp_path}/relay.db")) == 0
    assert serving["frozen"] > 1000
    assert serving["threshold"][0] == API_YOUNG_THRESHOLD


@pytest.mark.usefixtures("restored_collector")
async def test_relay_worker_settles_before_it_serves(
    dev_env: WorkflowEnvironment, tmp_path: Path
) -> None:
    gc.unfreeze()
    threshold = gc.get_threshold()
    url = f"sqlite:///{tmp_path}/relay.db"
    upgrade(url)
    settings = Settings(
        database_url=url,
        temporal_address=dev_env.client.service_client.config.target_host,
        task_queue=f"relay-test-{uuid.uuid4().hex[:8]}",
        state_dir=tmp_path,
        system_schedules=False,
    )
    running = asyncio.create_task(run_worker(settings))
    try:
        await eventually(lambda: gc.get_freeze_count() > 1000, what="the worker settled")
        assert gc.get_threshold() == threshold  # a worker keeps Python's thresholds
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):  # the handlers run_worker installed
            loop.remove_signal_handler(sig)
