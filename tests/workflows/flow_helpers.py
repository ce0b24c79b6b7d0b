"""Helpers shared by the flow-node tests: events, polling, one-off runs, HTTP steps."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from storage.db import session_scope
from storage.models import RunStep
from tests.helpers.polling import eventually
from tests.helpers.temporal import relay_worker, run_input, start_run
from workflows.contract import RunResult

ENTITY = "booking-1"


# --------------------------------------------------------------------------------- helpers


def step_rows(engine: Engine, run_id: str) -> dict[str, RunStep]:
    """The run's steps by step key (``call[0]``, ``call[1]``…), in the order they began."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(RunStep).where(RunStep.run_id == run_id).order_by(col(RunStep.seq))
        )
        return {row.step_key: row for row in rows}


def event(kind: str, data: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """An event as the API delivers it to a watching run."""
    return {
        "type": kind,
        "id": event_id or f"evt_{uuid.uuid4().hex[:8]}",
        "occurred_at": "2026-01-02T00:00:00+00:00",
        "entity": ENTITY,
        "data": data,
        "previous": None,
    }


async def step_waiting(engine: Engine, handle: WorkflowHandle[Any, Any], key: str) -> None:
    """The run reached ``key`` and waits there (so an event sent now is one it waits for)."""

    def waiting() -> bool:
        step = step_rows(engine, handle.id).get(key)
        return step is not None and step.status == "waiting"

    await eventually(waiting, timeout=10, interval=0.02, what=f"step {key} waiting")


async def run_once(
    env: WorkflowEnvironment,
    engine: Engine,
    document: dict[str, Any],
    data: dict[str, Any] | None = None,
    **options: Any,
) -> tuple[str, RunResult]:
    async with relay_worker(env.client, engine) as worker:
        handle = await start_run(env.client, worker, run_input(document, data, **options))
        return handle.id, await handle.result()


def call(node_id: str, path: str, **config: Any) -> dict[str, Any]:
    """An ``http_request`` step to the peer (its base URL is the run's ``url``)."""
    return {"id": node_id, "type": "http_request", "url": "{{ url }}" + path, **config}


async def execution_chain(
    client: Client, handle: WorkflowHandle[Any, Any]
) -> list[EventType.ValueType]:
    """How each execution of a workflow id ended, from the first: continued-as-new…, then
    its final outcome."""
    endings = []
    run_id = handle.first_execution_run_id
    while run_id is not None:
        execution = client.get_workflow_handle(handle.id, run_id=run_id)
        last = (await execution.fetch_history()).events[-1]
        endings.append(last.event_type)
        continued = last.workflow_execution_continued_as_new_event_attributes
        run_id = continued.new_execution_run_id or None
    return endings
