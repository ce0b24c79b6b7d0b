"""The CLI's tests: the real API served over HTTP on a loopback port, and the CLI run against it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.deps import ApiDeps
from storage.db import session_scope
from storage.tenants import create_tenant
from tests.helpers.serving import serving
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
        async with serving(app) as url:
            headers = {"Authorization": f"Bearer {key}"}
            async with httpx.AsyncClient(base_url=url, headers=headers) as c:
                created = (await c.post("/v1/workflows", json=WAITS)).json()
                assert (await c.post(f"/v1/workflows/{created['id']}/activate")).status_code == 200
            yield Api(url, key)


async def relay(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    # The CLI is synchronous; the API it talks to runs on this test's event loop.
    status = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    return status, out, err
