"""Bulk operations: a lifecycle action over many workflows, cancel or retry over many runs —
each item answered as its own call would, through the real API on a Temporal dev server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from api.routes import bulk
from tests.api.conftest import Stack, finished, problem
from tests.helpers.peers import unused_port

WAITS = {
    "name": "Follow up in a month",
    "trigger": {"type": "event", "event": "order.paid", "entity": "{{ order_id }}"},
    "steps": [{"id": "later", "type": "wait", "duration": "P30D"}],
}
NOTE = {
    "name": "Note it",
    "trigger": {"type": "event", "event": "order.paid", "entity": "{{ order_id }}"},
    "steps": [{"id": "note", "type": "set", "values": {"seen": True}}],
}


def failing_call() -> dict[str, Any]:
    return {
        "name": "Book the order",
        "trigger": {"type": "event", "event": "order.failed", "entity": "{{ order_id }}"},
        "steps": [{"id": "book", "type": "http_request", "on_error": "stop",
                   "url": f"http://127.0.0.1:{unused_port()}/book",
                   "retry": {"max_attempts": 1}}],
    }  # fmt: skip


async def _create(stack: Stack, name: str) -> str:
    created = await stack.api.post("/v1/workflows", json={**NOTE, "name": name})
    assert created.status_code == 201, created.text
    workflow_id: str = created.json()["id"]
    return workflow_id


async def _status(stack: Stack, workflow_id: str) -> str:
    status: str = (await stack.api.get(f"/v1/workflows/{workflow_id}")).json()["status"]
    return status


async def test_workflows_are_activated_paused_and_deleted_in_bulk(stack: Stack) -> None:
    first, second = await _create(stack, "First"), await _create(stack, "Second")
    async with stack.other_tenant() as other:
        theirs = (await other.post("/v1/workflows", json=NOTE)).json()["id"]

    body = {"action": "activate", "ids": [first, "wf_nope", second, theirs]}
    response = await stack.api.post("/v1/workflows/bulk", json=body)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert (answer["action"], answer["succeeded"], answer["failed"]) == ("activate", 2, 2)
    assert [(r["id"], r["status"]) for r in answer["results"]] == [
        (first, 200), ("wf_nope", 404), (second, 200), (theirs, 404)
    ]  # fmt: skip
    assert answer["results"][0]["workflow"]["status"] == "active"
    assert answer["results"][1]["error"]["detail"] == "no workflow 'wf_nope'"
    assert [await _status(stack, w) for w in (first, second)] == ["active", "active"]

    paused = await stack.api.post("/v1/workflows/bulk", json={"action": "pause", "ids": [first]})
    assert paused.json()["results"][0]["workflow"]["status"] == "paused"
    deleted = await stack.api.post(
        "/v1/workflows/bulk", json={"action": "delete", "ids": [first, second]}
    )
    assert [r["workflow"]["status"] for r in deleted.json()["results"]] == ["archived"] * 2
    # An archived workflow cannot be activated again: that item is the 409 its call answers.
    again = await stack.api.post("/v1/workflows/bulk", json={"action": "activate", "ids": [first]})
    [item] = again.json()["results"]
    assert (item["status"], item["error"]["title"]) == (409, "Conflict")


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"action": "activate", "ids": []}, "ids"),
        ({"action": "activate", "ids": [f"wf_{i}" for i in range(bulk.MAX_ITEMS + 1)]}, "ids"),
        ({"action": "activate", "ids": ["wf_a", "wf_b", "wf_a"]}, "ids[2]"),
        ({"action": "launch", "ids": ["wf_a"]}, "action"),
        ({"action": "pause", "ids": ["wf_a"], "force": True}, "force"),
        ({"action": "pause", "ids": "wf_a"}, "ids"),
        ({"action": "pause", "ids": [""]}, "ids[0]"),
    ],
)
async def test_bad_workflow_bulk_requests_are_refused_with_their_path(
    stack: Stack, body: dict[str, Any], path: str
) -> None:
    refused = problem(await stack.api.post("/v1/workflows/bulk", json=body), 422)
    assert path in [error["path"] for error in refused["errors"]]


async def _events(stack: Stack, kind: str, orders: list[str]) -> list[str]:
    run_ids = []
    for order in orders:
        sent = await stack.api.post("/v1/events", json={"type": kind, "data": {"order_id": order}})
        run_ids += [run["id"] for run in sent.json()["runs"]]
    return run_ids


async def test_runs_are_cancelled_in_bulk_each_as_its_own_call_answers(stack: Stack) -> None:
    await stack.create_active(WAITS)
    await stack.create_active(NOTE)
    run_ids = await _events(stack, "order.paid", ["o1", "o2"])
    runs = [await stack.wait_run(r, lambda run: run["status"] in ("waiting", "completed"))
            for r in run_ids]  # fmt: skip
    waiting = [run["id"] for run in runs if run["status"] == "waiting"]
    done = [run["id"] for run in runs if run["status"] == "completed"]
    assert (len(waiting), len(done)) == (2, 2)

    body = {"action": "cancel", "ids": [*waiting, done[0], "run_nope"]}
    response = await stack.api.post("/v1/runs/bulk", json=body)

    assert response.status_code == 200, response.text
    answer = response.json()
    assert [(r["id"], r["status"]) for r in answer["results"]] == [
        (waiting[0], 200), (waiting[1], 200), (done[0], 409), ("run_nope", 404)
    ]  # fmt: skip
    assert [r["run"]["status"] for r in answer["results"][:2]] == ["cancelled", "cancelled"]
    assert "already ended" in answer["results"][2]["error"]["detail"]
    assert (answer["succeeded"], answer["failed"]) == (2, 2)


async def test_failed_runs_of_a_workflow_since_a_time_are_retried_once_per_key(
    stack: Stack,
) -> None:
    booking = await stack.create_active(failing_call())
    await stack.create_active(NOTE)
    since = datetime.now(UTC) - timedelta(minutes=1)
    failed = await _events(stack, "order.failed", ["o1", "o2"])
    for run_id in failed + await _events(stack, "order.paid", ["o3"]):
        await stack.wait_run(run_id, finished)

    body = {
        "action": "retry",
        "filter": {"workflow_id": booking["id"], "status": "failed", "since": since.isoformat()},
        "idempotency_key": "monday-outage",
    }
    response = await stack.api.post("/v1/runs/bulk", json=body)

    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert sorted(r["id"] for r in results) == sorted(failed)
    assert {(r["status"], r["started"]["status"]) for r in results} == {(202, "started")}
    retries = [r["started"]["id"] for r in results]
    for retry in retries:
        run = await stack.wait_run(retry, finished)
        assert run["retry_of"] in failed
    # The same request again starts nothing new; retries of retries are a separate choice.
    again = (await stack.api.post("/v1/runs/bulk", json=body)).json()["results"]
    assert sorted(r["started"]["id"] for r in again if r["id"] in failed) == sorted(retries)
    assert {r["started"]["status"] for r in again if r["id"] in failed} == {"duplicate"}
    for item in again:  # the retries matched too, and were retried: let those end
        await stack.wait_run(item["started"]["id"], finished)


async def test_a_filter_matching_more_runs_than_the_bound_is_refused(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    await stack.create_active(NOTE)
    for run_id in await _events(stack, "order.paid", ["o1", "o2"]):
        await stack.wait_run(run_id, finished)
    monkeypatch.setattr(bulk, "MAX_ITEMS", 1)
    body = {"action": "retry", "filter": {"status": "completed"}}
    refused = problem(await stack.api.post("/v1/runs/bulk", json=body), 422)
    assert [e["path"] for e in refused["errors"]] == ["filter"]
    assert "more than 1 runs" in refused["errors"][0]["message"]


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"action": "cancel"}, "ids"),
        ({"action": "cancel", "ids": ["run_a"], "filter": {"status": "failed"}}, "filter"),
        ({"action": "retry", "filter": {"status": "lost"}}, "filter.status"),
        ({"action": "retry", "filter": {"since": "yesterday"}}, "filter.since"),
        ({"action": "retry", "filter": {"workflow": "wf_a"}}, "filter.workflow"),
        ({"action": "cancel", "ids": ["run_a", "run_a"]}, "ids[1]"),
        ({"action": "rerun", "ids": ["run_a"]}, "action"),
    ],
)
async def test_bad_run_bulk_requests_are_refused_with_their_path(
    stack: Stack, body: dict[str, Any], path: str
) -> None:
    refused = problem(await stack.api.post("/v1/runs/bulk", json=body), 422)
    assert path in [error["path"] for error in refused["errors"]]
