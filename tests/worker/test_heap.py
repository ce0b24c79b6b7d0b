"""``relay worker`` and ``relay api`` freeze what they built before they serve (``worker.heap``)."""

import gc
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from temporalio.testing import WorkflowEnvironment

from tests.helpers.polling import eventually
from tests.helpers.temporal import relay_worker_process
from worker.cli import _serve_api
from worker.heap import API_YOUNG_THRESHOLD, settle
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
    async with relay_worker_process(dev_env.client, tmp_path, system_schedules=False):
        await eventually(lambda: gc.get_freeze_count() > 1000, what="the worker settled")
        assert gc.get_threshold() == threshold  # a worker keeps Python's thresholds
