"""The run intake and control service called directly, as the API and the worker call it: a
real database, a real worker on the dev server, no HTTP."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from definitions.loading import load_definition
from runs.deps import RunsDeps
from storage.db import session_scope
from storage.models import Workflow, WorkflowVersion
from storage.tenants import create_tenant
from storage.workflows import create_workflow, get_version, set_status
from tests.helpers.temporal import relay_worker


@dataclass
class Service:
    deps: RunsDeps
    tenant_id: str

    def activate(self, document: dict[str, Any]) -> tuple[Workflow, WorkflowVersion]:
        """Store ``document`` as an active workflow of the tenant (what activation does)."""
        definition = load_definition(document)
        with session_scope(self.deps.engine) as session:
            workflow = create_workflow(session, self.tenant_id, definition.canonical(), document)
            set_status(session, workflow, "active")
            session.flush()
            version = get_version(session, workflow.id, workflow.latest_version)
            assert version is not None
            session.expunge_all()
        return workflow, version


@pytest.fixture
async def service(dev_env: WorkflowEnvironment, engine: Engine) -> AsyncIterator[Service]:
    async with relay_worker(dev_env.client, engine) as worker:
        deps = RunsDeps.over(dev_env.client, engine, worker.task_queue)
        with session_scope(engine) as session:  # a real tenant: PostgreSQL checks the keys
            tenant, _ = create_tenant(session, f"Service {uuid.uuid4().hex[:8]}")
        yield Service(deps, tenant.id)
