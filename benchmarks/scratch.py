"""A scratch stack for benchmarks that run in one process: a SQLite database in a temporary
directory with one tenant, and a Temporal dev server as a child process."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from storage.db import make_engine, session_scope, upgrade
from storage.tenants import create_tenant
from workflows import search_attributes

BIN = Path(sys.executable).parent


@dataclass
class Scratch:
    engine: Engine
    tenant_id: str
    key: str
    """The tenant's admin API key."""
    env: WorkflowEnvironment


@asynccontextmanager
async def scratch_stack(tenant_name: str) -> AsyncIterator[Scratch]:
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/relay.db"
        upgrade(url)
        engine = make_engine(url)
        with session_scope(engine) as session:
            tenant, key = create_tenant(session, tenant_name)
            tenant_id = tenant.id
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(BIN / "temporal"),
            search_attributes=search_attributes.ALL,
        )
        try:
            yield Scratch(engine, tenant_id, key, env)
        finally:
            await env.shutdown()
            engine.dispose()
