"""Listing runs, and health: what operators and clients see when parts are down."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.deps import ApiDeps
from runs.deps import RunsDeps
from runs.recovery import Recoverer
from storage.db import session_scope
from storage.outbox import pending
from tests.api.conftest import Stack, api_client, finished, new_tenant

RECEIPT = {
    "name": "Receipt",
    "trigger": {"type": "event", "event": "order.paid", "entity": "{{ order_id }}"},
    "steps": [{"id": "mail", "type": "send_email", "to": "{{ email }}", "subject": "Paid", "body": "Thanks"}],
}  # fmt: skip
FOLLOW_UP = {
    "name": "Follow up later",
    "trigger": {"type": "event", "event": "order.paid", "entity": "{{ order_id }}"},
    "steps": [{"id": "later", "type": "wait", "duration": "P30D"}],
}


@pytest.fixture
async def orders(stack: Stack) -> AsyncIterator[dict[str, Any]]:
    """Three paid orders through two workflows: three completed receipts, three waiting runs."""
    receipt = await stack.create_active(RECEIPT)
    follow_up = await stack.create_active(FOLLOW_UP)
    runs: list[dict[str, Any]] = []
    for order in ("o1", "o2", "o3"):
        accepted = await stack.api.post(
            "/v1/events",
            json={"type": "order.paid", "data": {"order_id": order, "email": "a@example.com"}},
        )
        runs += accepted.json()["runs"]
    by_workflow = {receipt["id"]: finished, follow_up["id"]: _waiting}
    for run in runs:
        await stack.wait_run(run["id"], by_workflow[run["workflow_id"]])
    yield {"receipt": receipt["id"], "follow_up": follow_up["id"], "runs": runs}
    for run in runs:
        if run["workflow_id"] == follow_up["id"]:
            await stack.client.get_workflow_handle(run["id"]).terminate("test over")


def _waiting(run: dict[str, Any]) -> bool:
    return bool(run["status"] == "waiting")


async def _ids(stack: Stack, path: str = "/v1/runs", **params: Any) -> list[str]:
    response = await stack.api.get(path, params=params)
    assert response.status_code == 200, response.text
    return [r["id"] for r in response.json()["items"]]


async def test_runs_filter_by_workflow_status_and_entity(
    stack: Stack, orders: dict[str, Any]
) -> None:
    runs = orders["runs"]
    receipts = {r["id"] for r in runs if r["workflow_id"] == orders["receipt"]}
    waiting = {r["id"] for r in runs if r["workflow_id"] == orders["follow_up"]}
    assert len(await _ids(stack)) == 6
    assert set(await _ids(stack, workflow_id=orders["receipt"])) == receipts
    assert set(await _ids(stack, status="completed")) == receipts
    assert set(await _ids(stack, status="waiting")) == waiting
    assert await _ids(stack, status="failed") == []
    for_o2 = await _ids(stack, entity="o2")
    assert len(for_o2) == 2
    assert len(await _ids(stack, entity="o2", status="waiting")) == 1
    assert await _ids(stack, entity="nobody") == []
    assert set(await _ids(stack, f"/v1/workflows/{orders['follow_up']}/runs")) == waiting
    assert await _ids(stack, f"/v1/workflows/{orders['receipt']}/runs", status="waiting") == []


async def test_a_listed_run_has_the_documented_shape(stack: Stack, orders: dict[str, Any]) -> None:
    listed = (await stack.api.get("/v1/runs", params={"limit": 1})).json()["items"][0]
    assert {"id", "workflow_id", "version", "status", "entity", "started_at", "completed_at",
            "trigger", "error"} <= set(listed)  # fmt: skip
    one = (await stack.api.get(f"/v1/runs/{listed['id']}")).json()
    assert one["steps"] and {"node_id", "type", "status", "attempts"} <= set(one["steps"][0])


async def test_run_pages_see_each_run_once_newest_first(
    stack: Stack, orders: dict[str, Any]
) -> None:
    everything = await _ids(stack)
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = (await stack.api.get("/v1/runs", params=params)).json()
        seen += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything
    assert len(set(seen)) == 6
    started = [r["started_at"] for r in (await stack.api.get("/v1/runs")).json()["items"]]
    assert started == sorted(started, reverse=True)

    by_workflow: list[str] = []
    cursor = None
    while True:
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        path = f"/v1/workflows/{orders['receipt']}/runs"
        page = (await stack.api.get(path, params=params)).json()
        by_workflow += [r["id"] for r in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert sorted(by_workflow) == sorted(await _ids(stack, workflow_id=orders["receipt"]))


async def test_healthz_and_readyz_answer_200_when_all_is_up(stack: Stack) -> None:
    assert (await stack.api.get("/healthz")).json() == {"status": "ok"}
    ready = await stack.api.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"] == {"database": "ok", "temporal": "ok"}


@pytest.fixture
async def no_temporal(engine: Engine) -> AsyncIterator[tuple[Any, str, str]]:
    """The app with a Temporal that cannot be reached, an API key and its tenant."""

    async def refuse() -> Client:
        raise ConnectionRefusedError("temporal:7233")

    tenant, key = new_tenant(engine, "Offline Inc")
    app = create_app(ApiDeps(engine=engine, connect_temporal=refuse, task_queue="unused"))
    yield app, key, tenant


async def test_readyz_is_503_when_temporal_is_unreachable(
    no_temporal: tuple[Any, str, str],
) -> None:
    app, _, _ = no_temporal
    async with api_client(app, None) as api:
        assert (await api.get("/healthz")).status_code == 200
        ready = await api.get("/readyz")
    assert ready.status_code == 503
    assert ready.json()["ready"] is False
    assert ready.json()["checks"]["database"] == "ok"
    assert ready.json()["checks"]["temporal"].startswith("unavailable")


async def test_events_accepted_while_temporal_is_down_are_started_by_the_recoverer(
    no_temporal: tuple[Any, str, str], engine: Engine, dev_env: WorkflowEnvironment
) -> None:
    app, key, tenant = no_temporal
    async with api_client(app, key) as api:
        workflow = (await api.post("/v1/workflows", json=RECEIPT)).json()
        assert (await api.post(f"/v1/workflows/{workflow['id']}/activate")).status_code == 200
        event = {"type": "order.paid", "id": "evt-offline-1", "data": {"order_id": "o9"}}
        accepted = await api.post("/v1/events", json=event)
        assert accepted.status_code == 202, accepted.text
        [run] = accepted.json()["runs"]
        assert run["status"] == "pending"
        manual = await api.post(f"/v1/workflows/{workflow['id']}/execute", json={"input": {}})
        assert manual.status_code == 202 and manual.json()["status"] == "pending"
        assert (await api.post("/v1/events", json={"type": "nobody.cares"})).status_code == 202
        listed = {r["id"]: r["status"] for r in (await api.get("/v1/runs")).json()["items"]}
        assert listed == {run["id"]: "running", manual.json()["id"]: "running"}
        outcome = (await api.get("/v1/events/evt-offline-1")).json()
        assert outcome["runs"] == [run["id"]]
        assert outcome["outcomes"][0]["outcome"] == "pending"

    # Temporal is back: a worker's recoverer starts both, with nothing posted again.
    deps = RunsDeps.over(dev_env.client, engine, "no-worker")
    assert (await Recoverer(deps, tenant_id=tenant).pass_once()).started == 2
    for run_id in (run["id"], manual.json()["id"]):
        described = await dev_env.client.get_workflow_handle(run_id).describe()
        assert described.status == WorkflowExecutionStatus.RUNNING
        await dev_env.client.get_workflow_handle(run_id).terminate("test over")
    with session_scope(engine) as session:
        assert pending(session, tenant_id=tenant) == []


async def test_a_runs_keys_are_shown_without_control_characters(stack: Stack) -> None:
    await stack.create_active({
        "name": "Once", "trigger": {"event": "user.signed_up", "entity": "{{ user_id }}",
                                    "reenroll": "once", "dedupe_key": "{{ user_id }}"},
        "steps": [{"id": "mark", "type": "set", "values": {"seen": "yes"}}],
    })  # fmt: skip
    accepted = await stack.api.post(
        "/v1/events", json={"type": "user.signed_up", "data": {"user_id": "u_1"}}
    )
    run_id = accepted.json()["runs"][0]["id"]
    run = await stack.wait_run(run_id, finished)
    assert (run["trigger"]["key"], run["trigger"]["dedupe_key"]) == ("once/u_1", "key/u_1")
    listed = await stack.api.get("/v1/runs")
    assert "\\u001f" not in listed.text and "\x1f" not in listed.text
