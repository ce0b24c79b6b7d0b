"""Shared fixtures: a real database (SQLite, or PostgreSQL when RELAY_TEST_DATABASE_URL is set)
and real Temporal servers (the time-skipping test server and the dev server), one per session."""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url
from temporalio.testing import WorkflowEnvironment

from storage.db import make_engine, upgrade
from tests.helpers.loop_guard import blocking_calls
from worker.dev import TEMPORAL_DYNAMIC_CONFIG
from workflows import search_attributes

BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    base = os.environ.get("RELAY_TEST_DATABASE_URL")
    if not base:
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{directory}/relay-test.db"
        return
    # A database of its own per session: tests never see another run's rows.
    name = f"relay_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    upgrade(database_url)
    engine = make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
async def time_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(BIN / "temporal-test-server")
    )
    yield env
    await env.shutdown()


@pytest.fixture(scope="session")
async def dev_env() -> AsyncIterator[WorkflowEnvironment]:
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(BIN / "temporal"),
        search_attributes=search_attributes.ALL,
        dev_server_extra_args=TEMPORAL_DYNAMIC_CONFIG,  # as relay dev runs it
    )
    yield env
    await env.shutdown()


@pytest.fixture(autouse=True)
def no_database_calls_on_the_event_loop() -> Iterator[None]:
    """Every test also checks that the API's and ``runs``' async code left the event loop free
    while it waited on the database (``tests.helpers.loop_guard``)."""
    with blocking_calls() as calls:
        yield
    assert not calls.found, calls.report()
