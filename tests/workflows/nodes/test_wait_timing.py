"""A wait ends at its instant, however long the bookkeeping around it takes: the timer is set
for what is left once the step is recorded waiting, and the step's end is when the wait ended,
not when the bookkeeping after it was done. A long wait aims its timer again shortly before its
instant, so that a timer set while the worker was busy does not end it late."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from tests.helpers.db import steps_of
from tests.helpers.temporal import relay_worker, run_input, start_run
from workflows.policies import REAIM_BEFORE

SLOW = 1.0
"""Seconds the database takes for the one write made slow."""


@contextlib.contextmanager
def slow_write(engine: Engine, matches: Callable[[str, str], bool]) -> Iterator[None]:
    """The first statement for which ``matches(sql, parameters)`` holds takes ``SLOW``
    seconds more, as on a busy database."""
    slowed = False

    def before(_conn: Any, _cursor: Any, sql: str, parameters: Any, *_: Any) -> None:
        nonlocal slowed
        if not slowed and matches(sql, str(parameters)):
            slowed = True
            time.sleep(SLOW)  # in the activity's thread, as a slow database would hold it

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", before)
    assert slowed, "the write meant to be slow was never made"


async def test_a_wait_ends_at_its_instant_although_recording_it_waiting_was_slow(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Follow up",
        "steps": [
            {"id": "later", "type": "wait", "duration": "1h"},
            {"id": "done", "type": "set", "values": {"followed_up": True}},
        ],
    }
    with slow_write(engine, lambda sql, values: "run_steps" in sql and "waiting" in values):
        async with relay_worker(time_env.client, engine) as worker:
            handle = await start_run(time_env.client, worker, run_input(document))
            assert (await handle.result()).status == "completed"
    later = steps_of(engine, handle.id)["later"]
    assert later.started_at is not None and later.completed_at is not None
    late = later.completed_at - (later.started_at + timedelta(hours=1))
    assert late < timedelta(seconds=SLOW / 2), f"the wait ended {late} after its instant"


async def test_a_waits_end_is_when_it_ended_not_after_the_bookkeeping_that_follows(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    # An ``until`` following the entity's events watches them while it waits, and stops
    # watching once it ends: that write comes after the wait.
    until = (await time_env.get_current_time() + timedelta(hours=2)).isoformat()
    document = {
        "name": "Reminder",
        "trigger": {"type": "event", "event": "booking.created"},
        "steps": [
            {"id": "pause", "type": "wait", "until": "{{ start_time }}"},
            {"id": "done", "type": "set", "values": {"reminded": True}},
        ],
    }
    unwatching = "DELETE FROM run_watches"
    with slow_write(engine, lambda sql, _: sql.lstrip().startswith(unwatching)):
        async with relay_worker(time_env.client, engine) as worker:
            run = run_input(document, {"start_time": until}, entity="b-1")
            handle = await start_run(time_env.client, worker, run)
            assert (await handle.result()).status == "completed"
    steps = steps_of(engine, handle.id)
    pause, done = steps["pause"], steps["done"]
    assert pause.completed_at is not None and done.started_at is not None
    late = pause.completed_at - datetime.fromisoformat(until)
    assert late < timedelta(seconds=SLOW / 2), f"the wait's end shows {late} after its instant"
    # The run itself went on only once the write was done.
    assert done.started_at - pause.completed_at >= timedelta(seconds=SLOW * 0.9)


def _timers(history: Any) -> list[timedelta]:
    return [
        e.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        for e in history.events
        if e.WhichOneof("attributes") == "timer_started_event_attributes"
    ]


async def test_a_long_wait_aims_its_timer_again_shortly_before_its_instant(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Follow up",
        "steps": [
            {"id": "later", "type": "wait", "duration": "1d"},
            {"id": "soon", "type": "wait", "duration": "15s"},
            {"id": "done", "type": "set", "values": {"followed_up": True}},
        ],
    }
    async with relay_worker(time_env.client, engine) as worker:
        handle = await start_run(time_env.client, worker, run_input(document))
        assert (await handle.result()).status == "completed"
    day, before, short = _timers(await handle.fetch_history())
    # The day's wait: a timer to ten seconds before its instant, then one for what is left
    # (less the moments the recording took); the short wait needs no second aim.
    assert timedelta(days=1) - REAIM_BEFORE - timedelta(seconds=1) < day
    assert day < timedelta(days=1) - REAIM_BEFORE
    assert REAIM_BEFORE - timedelta(seconds=1) < before <= REAIM_BEFORE
    assert timedelta(seconds=14) < short <= timedelta(seconds=15)
    steps = steps_of(engine, handle.id)
    for node, length in (("later", timedelta(days=1)), ("soon", timedelta(seconds=15))):
        step = steps[node]
        assert step.started_at is not None and step.completed_at is not None
        late = step.completed_at - (step.started_at + length)
        assert timedelta(0) <= late < timedelta(seconds=SLOW / 2), f"{node} ended {late} late"


async def test_a_long_timeout_of_an_event_wait_is_aimed_again_before_it_ends(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Confirm",
        "trigger": {"type": "event", "event": "booking.created"},
        "steps": [
            {"id": "confirm", "type": "wait_for_event", "event": "booking.confirmed",
             "timeout": "2h", "on_timeout": [{"id": "gave_up", "type": "set",
                                               "values": {"confirmed": False}}]},
        ],
    }  # fmt: skip
    async with relay_worker(time_env.client, engine) as worker:
        handle = await start_run(time_env.client, worker, run_input(document, entity="b-2"))
        assert (await handle.result()).status == "completed"
    far, before = _timers(await handle.fetch_history())
    assert timedelta(hours=2) - REAIM_BEFORE - timedelta(seconds=1) < far
    assert far <= timedelta(hours=2) - REAIM_BEFORE  # counted from the step recorded
    assert REAIM_BEFORE - timedelta(seconds=1) < before <= REAIM_BEFORE
    steps = steps_of(engine, handle.id)
    confirm = steps["confirm"]
    assert confirm.output == {"event": "booking.confirmed", "timed_out": True}
    assert confirm.started_at is not None and confirm.completed_at is not None
    late = confirm.completed_at - (confirm.started_at + timedelta(hours=2))
    assert timedelta(0) <= late < timedelta(seconds=SLOW / 2), f"it timed out {late} late"
    assert steps["gave_up"].status == "completed"
