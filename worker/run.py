"""``relay worker``: a Temporal worker running the interpreter and every activity."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.service import RPCError

from activities.http import http_session
from runs.deps import RunsDeps
from runs.recovery import Recoverer
from storage.db import make_engine
from worker.composition import (
    build_actions,
    build_worker,
    connect,
    entity_key,
    link_key,
)
from worker.heap import settle
from worker.maintenance import ensure_system_schedules
from worker.settings import Settings

log = logging.getLogger("relay.worker")


async def run_worker(settings: Settings) -> None:
    engine = make_engine(settings.database_url)
    client = await _connect_with_retry(settings)
    async with http_session() as http:
        worker = build_worker(
            client,
            settings.task_queue,
            engine,
            build_actions(settings, engine, http),
            search_attributes=settings.search_attributes,
            retention_days=settings.retention_days,
            public_url=settings.public_url,
            max_chain_depth=settings.max_chain_depth,
            link_key=link_key(settings),
            entity_key=entity_key(settings),
            **polling(settings),
        )
        if settings.system_schedules:
            try:
                await ensure_system_schedules(
                    client,
                    engine,
                    settings.task_queue,
                    search_attributes=settings.search_attributes,
                )
            except RPCError as exc:  # runs matter more than maintenance: keep serving them
                log.error("could not create Relay's system schedules: %s", exc.message)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        # Every worker runs a recoverer: the outbox is claimed under leases, so any number agree.
        recoverer = build_recoverer(settings, client, engine)
        settle()
        async with worker:
            log.info(
                "worker polling task queue %r on %s", settings.task_queue, settings.temporal_address
            )
            recovering = asyncio.create_task(recoverer.run(stop))
            await stop.wait()
            await recovering
        log.info("worker stopped")


def build_recoverer(settings: Settings, client: Client, engine: Engine) -> Recoverer:
    """The worker's recoverer (``runs.recovery``), with the settings' grace and deadline."""
    deps = RunsDeps.over(
        client,
        engine,
        settings.task_queue,
        settings.search_attributes,
        settings.max_chain_depth,
        entity_key=entity_key(settings),  # runs it starts are searchable like the API's
        cancel_grace=settings.cancel_grace,
        start_deadline=settings.start_deadline,
        public_url=settings.public_url,
    )
    return Recoverer(deps)


def polling(settings: Settings) -> dict[str, Any]:
    """How many tasks a worker asks Temporal for at once. A new run's first workflow task comes
    from the task queue, later ones from the worker's sticky queue; Temporal's default (5 polls,
    a fifth of them on the task queue) takes new runs one at a time, and short runs — most of
    Relay's: a webhook, a step or two — queued for seconds behind it with the worker idle.
    Half the polls on each queue keep up with a burst of new runs.

    The workflow tasks it executes at once are few (``RELAY_WORKFLOW_TASKS``): a task beyond
    them waits on Temporal's queue, where the API's intake pacing sees it (``runs.pacing``),
    instead of inside the worker, where a hundred runs at once (the SDK's default) each took
    a hundredth of the worker and all finished late."""
    return {
        # A poll beyond the tasks it may execute would take a task it cannot start.
        "max_concurrent_workflow_task_polls": min(
            settings.workflow_task_polls, settings.workflow_tasks
        ),
        "nonsticky_to_sticky_poll_ratio": 1.0,
        "max_concurrent_activity_task_polls": settings.activity_task_polls,
        "max_concurrent_workflow_tasks": settings.workflow_tasks,
    }


async def _connect_with_retry(settings: Settings, attempts: int = 60) -> Client:
    """The worker may start before Temporal accepts connections (``relay dev`` starts both)."""
    for attempt in range(1, attempts + 1):
        try:
            return await connect(settings)
        except RuntimeError:
            if attempt == attempts:
                raise
            await asyncio.sleep(1)
    raise AssertionError("unreachable")
