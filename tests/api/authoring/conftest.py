"""The authoring routes need no Temporal: the real app over ASGI on the test database alone."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client

from api.app import create_app
from api.deps import ApiDeps
from tests.api.conftest import api_client, new_tenant


async def _no_temporal() -> Client:
    raise AssertionError("authoring never talks to Temporal")


@dataclass
class Authoring:
    api: httpx.AsyncClient
    app: Any
    engine: Engine

    def other_tenant(self) -> httpx.AsyncClient:
        """A client for another tenant of the same app; use with ``async with``."""
        return api_client(self.app, new_tenant(self.engine, "Globex")[1])

    def anonymous(self) -> httpx.AsyncClient:
        return api_client(self.app, None)

    async def create(self, document: dict[str, Any]) -> dict[str, Any]:
        response = await self.api.post("/v1/workflows", json=document)
        assert response.status_code == 201, response.text
        body: dict[str, Any] = response.json()
        return body


@pytest.fixture
async def authoring(engine: Engine) -> AsyncIterator[Authoring]:
    deps = ApiDeps(engine=engine, connect_temporal=_no_temporal, task_queue="unused")
    app = create_app(deps)
    async with api_client(app, new_tenant(engine)[1]) as api:
        yield Authoring(api, app, engine)
