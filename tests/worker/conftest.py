"""The CLI's tests: the real API served over HTTP on a loopback port, and the CLI run against it."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.deps import ApiDeps
from storage.db import session_scope
from storage.tenants import create_tenant
from tests.helpers.polling import eventually
from tests.helpers.temporal import relay_worker
from worker.cli import main

WAITS = {
    "name": "Follow-up",
    "trigger": {"type": "event", "event": "booking.created", "entity": "{{ booking_id }}"},
    "steps": [{"id": "pause", "type": "wait", "duration": "P3D"}],
}


@dataclass
class Api:
    url: str
    key: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def api(dev_env: WorkflowEnvironment, engine: Engine) -> AsyncIterator[Api]:
    """The real API served over HTTP on a loopback port, with a worker behind it."""
    with session_scope(engine) as session:
        _, key = create_tenant(session, "Acme")
    async with relay_worker(dev_env.client, engine) as worker:

        async def connect() -> Client:
            return dev_env.client

        app = create_app(
            ApiDeps(engine=engine, connect_temporal=connect, task_queue=worker.task_queue)
        )
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
        serving = asyncio.create_task(server.serve())
        # uvicorn only offers a flag to poll
        await eventually(lambda: server.started, timeout=10, interval=0.01, what="uvicorn up")
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}) as c:
            created = (await c.post("/v1/workflows", json=WAITS)).json()
            assert (await c.post(f"/v1/workflows/{created['id']}/activate")).status_code == 200
        try:
            yield Api(url, key)
        finally:
            server.should_exit = True
            await serving


async def relay(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    # The CLI is synchronous; the API it talks to runs on this test's event loop.
    status = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    return status, out, err
