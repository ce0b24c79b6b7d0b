"""Intake pacing: the door's rule, and the task queue statistics it reads from the real dev
server."""

from __future__ import annotations

import asyncio
import uuid

from temporalio import workflow
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from runs.pacing import IntakePace, QueueReading, task_queue_reader
from tests.helpers.polling import eventually

BEHIND = QueueReading(oldest_age=2.0, dispatch_rate=30.0)
KEEPING_UP = QueueReading(oldest_age=0.1, dispatch_rate=30.0)


async def _unread() -> QueueReading | None:
    return None


def pace(max_hold: float = 30.0) -> IntakePace:
    return IntakePace(_unread, max_queue_age=0.5, max_hold=max_hold)


def test_it_holds_only_while_workers_take_tasks_and_the_oldest_has_waited_too_long() -> None:
    door = pace()
    assert door.behind(BEHIND)
    assert not door.behind(KEEPING_UP)
    # Nobody takes from the queue: waiting would not drain it.
    assert not door.behind(QueueReading(oldest_age=60.0, dispatch_rate=0.0))
    # Temporal could not be read: intake's own outbox covers it, pacing stays out of the way.
    assert not door.behind(None)


async def test_a_held_request_goes_on_when_the_workers_catch_up() -> None:
    door = pace()
    assert await door.admit() == 0.0  # open: no wait, nothing counted
    door.update(BEHIND)
    admitted = asyncio.create_task(door.admit())
    await eventually(lambda: door.waiting == 1, what="the request held")
    assert not admitted.done()
    door.update(KEEPING_UP)
    assert await asyncio.wait_for(admitted, 5) > 0
    assert (door.waiting, door.held) == (0, 1)


async def test_a_request_held_past_max_hold_is_accepted_anyway() -> None:
    door = pace(max_hold=0.2)
    door.update(BEHIND)
    waited = await asyncio.wait_for(door.admit(), 5)
    assert waited >= 0.2
    assert door.held == 1 and door.held_seconds >= 0.2


async def test_a_reader_that_fails_opens_the_door() -> None:
    async def broken() -> QueueReading | None:
        raise ConnectionError("Temporal is down")

    door = IntakePace(broken, max_queue_age=0.5, max_hold=30, interval=0.01)
    door.update(BEHIND)
    watching = asyncio.create_task(door.watch())
    try:
        assert await asyncio.wait_for(door.admit(), 5) >= 0.0
    finally:
        watching.cancel()


@workflow.defn(name="PacingNoop")
class Noop:
    @workflow.run
    async def run(self) -> None:
        return None


async def test_the_reader_sees_tasks_wait_and_then_taken(dev_env: WorkflowEnvironment) -> None:
    client = dev_env.client
    queue = f"pacing-{uuid.uuid4().hex[:8]}"

    async def temporal() -> Client:
        return client

    read = task_queue_reader(temporal, queue)
    door = IntakePace(read, max_queue_age=0.5, max_hold=30)
    handles = [
        await client.start_workflow(Noop.run, id=f"{queue}-{i}", task_queue=queue) for i in range(3)
    ]

    async def waiting() -> QueueReading | None:
        reading = await read()
        return reading if reading and reading.oldest_age > 0 else None

    # No worker: the tasks wait, and no one takes them, so new events are not held.
    unpolled = await eventually(waiting, what="the queue's tasks counted as waiting")
    assert unpolled.dispatch_rate == 0
    assert not door.behind(unpolled)

    async with Worker(client, task_queue=queue, workflows=[Noop]):
        for handle in handles:
            await handle.result()

        async def drained() -> QueueReading | None:
            reading = await read()
            return reading if reading and reading.oldest_age == 0 else None

        taken = await eventually(drained, what="the queue drained")
    assert taken.dispatch_rate > 0
    assert not door.behind(taken)
