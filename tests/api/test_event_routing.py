"""Events reach the runs waiting for them: found through the runs' watches, signalled at once."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from sqlmodel import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client

from api.app import create_app
from api.deps import ApiDeps
from runs.starting import run_id_for
from storage.db import session_scope
from storage.models import RunWatch
from storage.watches import watch
from tests.api.conftest import Stack, api_client, new_tenant, problem
from workflows.contract import EVENT_SIGNAL

WAITS_THREE_DAYS = {
    "name": "Booking follow-up",
    "trigger": {"type": "event", "event": "booking.created"},
    "steps": [{"id": "pause", "type": "wait", "duration": "P3D"}],
}


async def _waiting_run(stack: Stack, entity: str) -> str:
    await stack.create_active(WAITS_THREE_DAYS)
    accepted = await stack.api.post(
        "/v1/events", json={"type": "booking.created", "entity": entity, "data": {}}
    )
    assert accepted.status_code == 202, accepted.text
    run_id: str = accepted.json()["runs"][0]["id"]
    await stack.wait_run(run_id, lambda r: r["status"] == "waiting")
    return run_id


def _watch(stack: Stack, run_id: str, entity: str, *event_types: str) -> None:
    with session_scope(stack.engine) as session:
        watch(session, stack.tenant_id, run_id, entity, event_types)


def _watches_of(stack: Stack, run_id: str) -> list[str]:
    with session_scope(stack.engine) as session:
        return list(session.exec(select(RunWatch.event_type).where(RunWatch.run_id == run_id)))


async def _post(stack: Stack, event_type: str, entity: str, **event: Any) -> dict[str, Any]:
    response = await stack.api.post(
        "/v1/events", json={"type": event_type, "entity": entity, "data": {}, **event}
    )
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


async def _signals(client: Client, run_id: str) -> list[dict[str, Any]]:
    """The events signalled to the run, as its Temporal history holds them."""
    history = await client.get_workflow_handle(run_id).fetch_history()
    return [
        json.loads(e.workflow_execution_signaled_event_attributes.input.payloads[0].data)
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED
        and e.workflow_execution_signaled_event_attributes.signal_name == EVENT_SIGNAL
    ]


@pytest.mark.parametrize("watched", ["booking.rescheduled", "*"])
async def test_an_event_for_the_watched_entity_is_signalled_to_the_waiting_run(
    stack: Stack, watched: str
) -> None:
    entity = f"bk_{uuid.uuid4().hex[:8]}"
    run_id = await _waiting_run(stack, entity)
    _watch(stack, run_id, entity, watched)
    try:
        accepted = await _post(
            stack, "booking.rescheduled", entity, id="evt-moved", data={"start": "10:00"}
        )
        assert accepted["runs"] == []
        assert accepted["signalled"] == [run_id]
        [event] = await _signals(stack.client, run_id)
        assert event["id"] == "evt-moved"
        assert (event["type"], event["entity"], event["data"]) == (
            "booking.rescheduled",
            entity,
            {"start": "10:00"},
        )
        assert set(event) == {"type", "id", "occurred_at", "entity", "data", "previous"}

        assert (await _post(stack, "booking.rescheduled", "bk_other"))["signalled"] == []
        other_type = await _post(stack, "booking.noted", entity)
        assert other_type["signalled"] == ([run_id] if watched == "*" else [])
    finally:
        await stack.client.get_workflow_handle(run_id).terminate("test over")


@pytest.mark.parametrize("watched", ["booking.rescheduled", "*"])
async def test_a_run_closed_in_temporal_is_not_signalled_and_loses_its_watches(
    stack: Stack, watched: str
) -> None:
    entity = f"bk_{uuid.uuid4().hex[:8]}"
    run_id = await _waiting_run(stack, entity)
    _watch(stack, run_id, entity, watched)
    await stack.client.get_workflow_handle(run_id).terminate("gone")
    accepted = await _post(stack, "booking.rescheduled", entity)
    assert accepted["signalled"] == []
    assert _watches_of(stack, run_id) == []
    assert await _signals(stack.client, run_id) == []


async def test_a_run_is_not_signalled_the_event_that_started_it(stack: Stack) -> None:
    workflow = await stack.create_active(WAITS_THREE_DAYS)
    entity = f"bk_{uuid.uuid4().hex[:8]}"
    run_id = run_id_for(stack.tenant_id, workflow["id"], "evt-start")
    _watch(stack, run_id, entity, "booking.created")
    accepted = await _post(stack, "booking.created", entity, id="evt-start")
    try:
        assert [r["id"] for r in accepted["runs"]] == [run_id]
        assert accepted["signalled"] == []
    finally:
        await stack.client.get_workflow_handle(run_id).terminate("test over")


async def test_watchers_without_a_reachable_temporal_answer_503(stack: Stack) -> None:
    tenant_id, key = new_tenant(stack.engine, "Offline")

    async def unreachable() -> Client:
        raise ConnectionRefusedError("no Temporal here")

    app = create_app(ApiDeps(engine=stack.engine, connect_temporal=unreachable, task_queue="q"))
    with session_scope(stack.engine) as session:
        watch(session, tenant_id, "run_offline", "bk_1", ["*"])
    async with api_client(app, key) as api:
        response = await api.post(
            "/v1/events", json={"type": "booking.rescheduled", "id": "evt-off", "entity": "bk_1"}
        )
        assert problem(response, 503)["event_id"] == "evt-off"
        quiet = await api.post("/v1/events", json={"type": "booking.rescheduled", "entity": "bk_2"})
        assert quiet.status_code == 202, quiet.text
        assert quiet.json()["signalled"] == []
