"""A wait ends at its instant, however long the bookkeeping around it takes: the timer is set
for what is left once the step is recorded waiting, and the step's end is when the wait ended,
not when the bookkeeping after it was done."""

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
