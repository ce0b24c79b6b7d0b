"""What the API answers while Temporal is away: every accepted event and every saved record
change gets its runs, a list of events is answered per item."""

from __future__ import annotations

from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus

from api.app import create_app
from api.deps import ApiDeps
from runs.deps import RunsDeps
from runs.recovery import Recoverer
from runs.starting import START_RUN
from storage.db import session_scope
from storage.outbox import pending
from storage.watches import watch
from tests.api.conftest import Stack, api_client, new_tenant

ON_CONTACT = {
    "name": "Welcome",
    "trigger": {"type": "event", "event": "contact.created"},
    "steps": [{"id": "pause", "type": "wait", "duration": "P1D"}],
}


def offline_app(stack: Stack) -> Any:
    async def unreachable() -> Client:
        raise ConnectionRefusedError("no Temporal here")

    return create_app(ApiDeps(engine=stack.engine, connect_temporal=unreachable, task_queue="q"))


async def test_a_list_of_events_is_answered_per_item_while_temporal_is_away(
    stack: Stack,
) -> None:
    tenant, key = new_tenant(stack.engine, "Offline list")
    with session_scope(stack.engine) as session:
        watch(session, tenant, "run_watching", "bk_1", ["*"])
    async with api_client(offline_app(stack), key) as api:
        workflow = (await api.post("/v1/workflows", json=ON_CONTACT)).json()
        assert (await api.post(f"/v1/workflows/{workflow['id']}/activate")).status_code == 200
        answer = await api.post(
            "/v1/events",
            json=[
                {"type": "booking.moved", "id": "evt-signal", "entity": "bk_1"},
                {"type": "contact.created", "id": "evt-start"},
            ],
        )
    assert answer.status_code == 202, answer.text
    signal, start = answer.json()
    assert signal["event_id"] == "evt-signal" and "not reachable" in signal["error"]
    assert start["error"] is None and [r["status"] for r in start["runs"]] == ["pending"]


async def test_a_record_change_saved_while_temporal_is_away_starts_its_runs_later(
    stack: Stack,
) -> None:
    tenant, key = new_tenant(stack.engine, "Offline records")
    async with api_client(offline_app(stack), key) as api:
        workflow = (await api.post("/v1/workflows", json=ON_CONTACT)).json()
        assert (await api.post(f"/v1/workflows/{workflow['id']}/activate")).status_code == 200
        created = await api.post("/v1/records/contact", json={"id": "c1", "data": {"n": 1}})
        assert created.status_code == 201, created.text
        [change] = (await api.get("/v1/records/contact/c1/history")).json()
    with session_scope(stack.engine) as session:
        [start] = pending(session, START_RUN, tenant)

    deps = RunsDeps.over(stack.client, stack.engine, "no-worker")
    assert (await Recoverer(deps, tenant_id=tenant).pass_once()).started == 1

    handle = stack.client.get_workflow_handle(start.key)
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING
    await handle.terminate("test over")
    assert change["kind"] == "created"
