import gc
import weakref
from collections.abc import Iterator

import pytest

from worker.heap import API_YOUNG_THRESHOLD, settle


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
