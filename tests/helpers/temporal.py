"""Workers and definitions for tests: a fresh task queue per test, real activities."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowExecutionStatus, WorkflowHandle
from temporalio.worker import Worker

from activities.actions import Actions
from activities.email import email_transport_from_url
from activities.http import HttpCaller, http_session
from activities.outbound import LOOPBACK_ALLOW, OutboundPolicy
from activities.sms import ConsoleSmsTransport, SmsTransport
from definitions.loading import load_definition
from storage.db import upgrade
from storage.secrets import SecretBox
from worker.composition import build_worker
from worker.run import run_worker
from worker.settings import Settings
from workflows.contract import RunInput
from workflows.interpreter import RelayRun
from workflows.policies import WORKFLOW_TASK_TIMEOUT


def loopback_actions(
    engine: Engine,
    http: aiohttp.ClientSession,
    *,
    smtp_url: str | None = None,
    sms: SmsTransport | None = None,
    message_box: SecretBox | None = None,
) -> Actions:
    """The real actions, with outbound HTTP allowed to the loopback peers tests talk to."""
    return Actions(
        engine=engine,
        email=email_transport_from_url(smtp_url),
        sms=sms or ConsoleSmsTransport(),
        http=HttpCaller(http, policy=OutboundPolicy.from_setting(LOOPBACK_ALLOW)),
        message_box=message_box,
    )


@asynccontextmanager
async def relay_worker_process(
    client: Client, directory: Path, **settings: Any
) -> AsyncIterator[Settings]:
    """``relay worker`` as its command runs it (``run_worker``), in this test's process: a
    fresh task queue, a migrated SQLite database in ``directory``; ``settings`` override."""
    url = f"sqlite:///{directory}/relay.db"
    upgrade(url)
    worker_settings = Settings(
        database_url=url,
        temporal_address=client.service_client.config.target_host,
        task_queue=f"relay-test-{uuid.uuid4().hex[:8]}",
        state_dir=directory,
        **settings,
    )
    running = asyncio.create_task(run_worker(worker_settings))
    try:
        yield worker_settings
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):  # the handlers run_worker installed
            loop.remove_signal_handler(sig)


@asynccontextmanager
async def relay_worker(
    client: Client,
    engine: Engine,
    *,
    smtp_url: str | None = None,
    sms: SmsTransport | None = None,
    link_key: bytes | None = None,
    message_box: SecretBox | None = None,
    http: aiohttp.ClientSession | None = None,
) -> AsyncIterator[Worker]:
    """A worker with the real activities on a fresh task queue (``worker.task_queue``);
    ``message_box`` seals what deliveries sent; ``http``: its HTTP client (its own by default)."""
    async with contextlib.AsyncExitStack() as stack:
        if http is None:
            http = await stack.enter_async_context(http_session())
        actions = loopback_actions(
            engine, http, smtp_url=smtp_url, sms=sms, message_box=message_box
        )
        queue = f"relay-test-{uuid.uuid4().hex[:8]}"
        worker = build_worker(client, queue, engine, actions, link_key=link_key)
        async with worker:
            try:
                yield worker
                await _assert_no_open_runs(client, worker.task_queue)
            finally:
                _started.pop(worker.task_queue, None)


# Workflow ids started on each test worker's queue. A run still open when its worker stops will
# one day have a workflow task nobody polls, and the time-skipping server stops its clock while
# one is outstanding (terminating the run does not release it): every later test that waits in
# virtual time would hang. So a test ends its runs (awaits them) while its worker still runs.
_started: dict[str, list[str]] = {}


async def _assert_no_open_runs(client: Client, task_queue: str) -> None:
    async def is_open(workflow_id: str) -> bool:
        description = await client.get_workflow_handle(workflow_id).describe()
        return description.status == WorkflowExecutionStatus.RUNNING

    started = _started.get(task_queue, [])
    flags = await asyncio.gather(*(is_open(run) for run in started))
    still_open = [run for run, open_ in zip(started, flags, strict=True) if open_]
    assert not still_open, f"runs left open when the test's worker stopped: {still_open}"


def run_input(
    document: dict[str, Any],
    data: dict[str, Any] | None = None,
    *,
    tenant: str = "t_test",
    entity: str | None = None,
) -> RunInput:
    """A run of ``document`` triggered by an event carrying ``data`` (about ``entity``: the
    record whose later events reach the run, for waits and goals)."""
    definition = load_definition(document)
    event_id = f"evt_{uuid.uuid4().hex[:8]}"
    return RunInput(
        tenant_id=tenant,
        workflow_id=f"wf_{uuid.uuid4().hex[:8]}",
        workflow_name=definition.name,
        version=1,
        definition=definition.canonical(),
        trigger={
            "type": definition.trigger.event or "manual",
            "id": event_id,
            "occurred_at": "2026-01-01T00:00:00+00:00",
            "entity": entity,
            "data": data or {},
        },
    )


async def start_run(
    client: Client, worker: Worker, input: RunInput, run_id: str | None = None
) -> WorkflowHandle[Any, Any]:
    handle = await client.start_workflow(
        RelayRun.run,
        input,
        id=run_id or f"run_{uuid.uuid4().hex[:12]}",
        task_queue=worker.task_queue,
        task_timeout=WORKFLOW_TASK_TIMEOUT,  # as runs.starting starts a run
    )
    _started.setdefault(worker.task_queue, []).append(handle.id)
    return handle
