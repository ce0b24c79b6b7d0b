"""Intake pacing: an event waits at the door while the workers are behind.

Temporal takes a run's start at once; the workers then work through its task queue. When
events arrive faster than the workers finish runs, the queue grows and every event waits
longer for its effect than the one before — seconds, then minutes — although each was
answered 202 in milliseconds. Pacing holds a new event's request, before anything is stored,
while the oldest task on the run task queue has waited longer than ``max_queue_age``; a sender
is slowed to the rate the workers finish instead. It never refuses: after ``max_hold`` the
event is accepted anyway, and a held request has stored nothing, so a sender that gives up
loses nothing it was told was accepted.

It holds only while workers are taking tasks. A queue nobody takes from (no worker running)
does not drain by waiting; its events are accepted at once and run when a worker comes.

The queue's state comes from Temporal's task queue statistics, which its matching service
caches for ``matching.TaskQueueInfoByBuildIdTTL`` (5 s unless configured; ``relay dev`` sets
a quarter of a second): the longer the cache, the coarser the pacing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta

from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class QueueReading:
    """The run task queue's workflow tasks, as Temporal last counted them."""

    oldest_age: float
    """Seconds the oldest task not yet taken by a worker has waited (0: none waits)."""
    dispatch_rate: float
    """Tasks per second workers have been taking."""


Read = Callable[[], Awaitable[QueueReading | None]]
"""The queue's state now; None when it cannot be known (Temporal unreachable)."""


class IntakePace:
    """Decides, from readings taken every ``interval`` seconds by ``watch``, whether a new
    event may be stored now (``admit``)."""

    def __init__(
        self, read: Read, *, max_queue_age: float, max_hold: float, interval: float = 0.2
    ) -> None:
        self._read = read
        self.max_queue_age = max_queue_age
        self.max_hold = max_hold
        self.interval = interval
        self._open = asyncio.Event()
        self._open.set()
        self.waiting = 0
        """Requests being held now (exposed on ``/metrics``, as the two below)."""
        self.held = 0
        """Requests held so far."""
        self.held_seconds = 0.0
        """Their waits, added up."""

    def behind(self, reading: QueueReading | None) -> bool:
        """Whether a reading says to hold new events: the oldest waiting task is older than
        allowed and workers are taking tasks (else waiting would not help)."""
        return (
            reading is not None
            and reading.dispatch_rate > 0
            and reading.oldest_age > self.max_queue_age
        )

    async def admit(self) -> float:
        """Return once a new event may be stored: at once while the workers keep up, when they
        catch up, or after ``max_hold``; the seconds it waited."""
        if self._open.is_set():
            return 0.0
        began = time.monotonic()
        self.waiting += 1
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._open.wait(), self.max_hold)
        finally:
            self.waiting -= 1
        waited = time.monotonic() - began
        self.held += 1
        self.held_seconds += waited
        return waited

    def update(self, reading: QueueReading | None) -> None:
        """Open or close the door on a reading."""
        if self.behind(reading):
            self._open.clear()
        else:
            self._open.set()

    async def watch(self) -> None:
        """Read the queue every ``interval`` seconds until cancelled; a failed reading opens
        the door (an unreachable Temporal is intake's own concern: its outbox)."""
        while True:
            try:
                reading = await self._read()
            except Exception as exc:  # noqa: BLE001 - any failure: pace nothing
                logger.debug("the run task queue could not be read: %s", type(exc).__name__)
                reading = None
            self.update(reading)
            await asyncio.sleep(self.interval)


def task_queue_reader(temporal: Callable[[], Awaitable[Client]], task_queue: str) -> Read:
    """Reads ``task_queue``'s workflow tasks from Temporal's task queue statistics."""

    async def read() -> QueueReading | None:
        client = await temporal()
        described = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name=task_queue),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
                report_stats=True,
            ),
            timeout=timedelta(seconds=2),
        )
        if not described.HasField("stats"):
            return None
        stats = described.stats
        return QueueReading(
            oldest_age=stats.approximate_backlog_age.ToTimedelta().total_seconds(),
            dispatch_rate=stats.tasks_dispatch_rate,
        )

    return read
