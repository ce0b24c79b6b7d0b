"""The HTTP surface end to end: the real app over ASGI, a real worker on the dev server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.deps import ApiDeps
from storage.db import session_scope
from storage.secrets import SecretBox
from storage.tenants import create_tenant
from tests.helpers.peers import SmtpSink
from tests.helpers.polling import eventually
from tests.helpers.temporal import relay_worker
from worker.simulator import Simulator


@dataclass
class Stack:
    api: httpx.AsyncClient
    client: Client
    smtp: SmtpSink
    engine: Engine
    tenant_id: str
    app: Any = None

    def api_as(self, key: str | None) -> httpx.AsyncClient:
        """Another client of the same app, with ``key`` (or none); use with ``async with``."""
        return api_client(self.app, key)

    def other_tenant(self, name: str = "Globex") -> httpx.AsyncClient:
        """A client for a new tenant of the same app; use with ``async with``."""
        return self.api_as(new_tenant(self.engine, name)[1])

    async def create_active(self, document: dict[str, Any]) -> dict[str, Any]:
        created = await self.api.post("/v1/workflows", json=document)
        assert created.status_code == 201, created.text
        activated = await self.api.post(f"/v1/workflows/{created.json()['id']}/activate")
        assert activated.status_code == 200, activated.text
        body: dict[str, Any] = activated.json()
        return body

    async def wait_run(
        self, run_id: str, until: Callable[[dict[str, Any]], bool], timeout: float = 20
    ) -> dict[str, Any]:
        """Poll ``GET /v1/runs/{id}`` as a user would, until ``until(run)`` holds."""

        async def probe() -> dict[str, Any]:
            response = await self.api.get(f"/v1/runs/{run_id}")
            ok = response.status_code == 200 and until(response.json())
            assert ok, f"run never satisfied the condition: {response.text}"
            body: dict[str, Any] = response.json()
            return body

        return await eventually(probe, timeout=timeout, interval=0.1)


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """The problem+json body of ``response``, after checking its status and media type."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json", response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["title"]
    return body


def finished(run: dict[str, Any]) -> bool:
    return run["status"] not in ("running", "waiting")


def new_tenant(engine: Engine, name: str = "Acme") -> tuple[str, str]:
    with session_scope(engine) as session:
        tenant, key = create_tenant(session, name)
    return tenant.id, key


def api_client(app: Any, key: str | None) -> httpx.AsyncClient:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://relay.test", headers=headers
    )


@pytest.fixture
async def stack(dev_env: WorkflowEnvironment, engine: Engine) -> AsyncIterator[Stack]:
    async with live_stack(dev_env, engine) as stack:
        yield stack


@asynccontextmanager
async def live_stack(
    dev_env: WorkflowEnvironment,
    engine: Engine,
    simulator: Simulator | None = None,
    box: SecretBox | None = None,
) -> AsyncIterator[Stack]:
    """The app on a real worker and the dev server, simulating with ``simulator`` if given,
    with ``box`` as the tenant-secrets key (``RELAY_SECRETS_KEY``) if given."""
    tenant_id, key = new_tenant(engine)
    with SmtpSink() as smtp:
        async with relay_worker(
            dev_env.client, engine, smtp_url=smtp.url(), message_box=box
        ) as worker:

            async def connect() -> Client:
                return dev_env.client

            deps = ApiDeps(
                engine=engine,
                connect_temporal=connect,
                task_queue=worker.task_queue,
                simulator=simulator,
                secrets=box,
            )
            app = create_app(deps)
            async with api_client(app, key) as api:
                yield Stack(api, dev_env.client, smtp, engine, tenant_id, app)
