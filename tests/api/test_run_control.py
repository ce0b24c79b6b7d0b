"""Cancelling and retrying runs through the API, on a real Temporal dev server."""

from __future__ import annotations

from typing import Any

from temporalio.client import WorkflowExecutionStatus

from tests.api.conftest import Stack, finished, problem
from tests.helpers.peers import RecordingHttpServer


def _waiting_on_two_things(url: str) -> dict[str, Any]:
    return {
        "name": "Nudge until they reply",
        "trigger": {"type": "event", "event": "lead.created", "entity": "{{ lead_id }}"},
        "nodes": [
            {"id": "hello", "type": "http_request", "url": url},
            {"id": "both", "type": "parallel", "branches": [
                [{"id": "pause", "type": "wait", "duration": "P3D"}],
                [{"id": "reply", "type": "wait_for_event", "event": "lead.replied",
                  "timeout": "P7D"}],
            ]},
            {"id": "after", "type": "http_request", "url": url},
        ],
        "edges": [
            {"from": "trigger", "to": "hello"},
            {"from": "hello", "to": "both"},
            {"from": "both", "to": "after"},
        ],
    }  # fmt: skip


def _failing_call(url: str) -> dict[str, Any]:
    return {
        "name": "Book the order",
        "trigger": {"type": "event", "event": "order.paid", "entity": "{{ order_id }}"},
        "steps": [
            {"id": "book", "type": "http_request", "url": url,
             "body": {"order": "{{ order_id }}"}, "on_error": "stop"},
        ],
    }  # fmt: skip


async def test_cancelling_a_waiting_run_ends_it_and_its_open_steps_cancelled(
    stack: Stack,
) -> None:
    with RecordingHttpServer() as crm:
        await stack.create_active(_waiting_on_two_things(crm.url("/hello")))
        sent = await stack.api.post(
            "/v1/events", json={"type": "lead.created", "data": {"lead_id": "lead-1"}}
        )
        run_id = sent.json()["runs"][0]["id"]
        await stack.wait_run(run_id, lambda r: len(r["steps"]) == 3 and r["status"] == "waiting")

        response = await stack.api.post(f"/v1/runs/{run_id}/cancel")

        assert response.status_code == 200, response.text
        run = response.json()
        assert run["status"] == "cancelled"
        assert run["completed_at"] is not None
        assert {s["node_id"]: s["status"] for s in run["steps"]} == {
            "hello": "completed",
            "pause": "cancelled",
            "reply": "cancelled",
        }
        assert len(crm.requests) == 1  # nothing after the cancellation ran
        described = await stack.client.get_workflow_handle(run_id).describe()
        assert described.status == WorkflowExecutionStatus.CANCELED
        # Its watch is gone: a reply now signals nothing.
        replied = await stack.api.post(
            "/v1/events", json={"type": "lead.replied", "entity": "lead-1", "data": {}}
        )
        assert replied.json()["signalled"] == []

        again = problem(await stack.api.post(f"/v1/runs/{run_id}/cancel"), 409)
        assert "already ended (cancelled)" in again["detail"]


async def test_cancel_and_retry_of_unknown_or_another_tenants_run_are_404(stack: Stack) -> None:
    with RecordingHttpServer() as crm:
        await stack.create_active(_waiting_on_two_things(crm.url("/hello")))
        sent = await stack.api.post(
            "/v1/events", json={"type": "lead.created", "data": {"lead_id": "lead-2"}}
        )
        run_id = sent.json()["runs"][0]["id"]
        await stack.wait_run(run_id, lambda r: r["status"] == "waiting")
        async with stack.other_tenant() as other:
            problem(await other.post(f"/v1/runs/{run_id}/cancel"), 404)
            problem(await other.post(f"/v1/runs/{run_id}/retry"), 404)
        problem(await stack.api.post("/v1/runs/run_nope/cancel"), 404)
        problem(await stack.api.post("/v1/runs/run_nope/retry"), 404)
        still = problem(await stack.api.post(f"/v1/runs/{run_id}/retry"), 409)
        assert "cancel it before retrying" in still["detail"]
        await stack.client.get_workflow_handle(run_id).terminate("test over")


async def test_retrying_a_failed_run_starts_a_linked_run_of_the_same_version_and_trigger(
    stack: Stack,
) -> None:
    with RecordingHttpServer() as ledger:
        ledger.script(400)  # the first call fails for good; the retry's succeeds
        workflow = await stack.create_active(_failing_call(ledger.url("/book")))
        sent = await stack.api.post(
            "/v1/events",
            json={"type": "order.paid", "id": "pay-77", "data": {"order_id": "o-77"}},
        )
        original = await stack.wait_run(sent.json()["runs"][0]["id"], finished)
        assert original["status"] == "failed"
        assert original["steps"][0]["error"]["retryable"] is False
        # A new version meanwhile: the retry still runs the version the original ran.
        edited = {**_failing_call(ledger.url("/v2")), "name": "Book v2"}
        assert (await stack.api.put(f"/v1/workflows/{workflow['id']}", json=edited)).is_success

        response = await stack.api.post(f"/v1/runs/{original['id']}/retry")

        assert response.status_code == 202, response.text
        started = response.json()
        assert started["id"] != original["id"]
        assert (started["version"], started["status"]) == (1, "started")
        retried = await stack.wait_run(started["id"], finished)
    assert retried["status"] == "completed"
    assert retried["retry_of"] == original["id"]
    assert retried["version"] == original["version"] == 1
    assert retried["entity"] == "o-77"
    assert retried["trigger"]["event_id"] == "pay-77"
    assert retried["trigger"]["data"] == {"order_id": "o-77"}
    assert [r.path for r in ledger.requests] == ["/book", "/book"]
    assert [r.json for r in ledger.requests] == [{"order": "o-77"}] * 2


async def test_a_retry_with_an_idempotency_key_starts_one_run_and_a_manual_run_keeps_its_input(
    stack: Stack,
) -> None:
    with RecordingHttpServer() as ledger:
        created = await stack.api.post("/v1/workflows", json=_failing_call(ledger.url("/m")))
        workflow_id = created.json()["id"]
        executed = await stack.api.post(
            f"/v1/workflows/{workflow_id}/execute",
            json={"input": {"order_id": "o-5"}, "entity": "o-5"},
        )
        original = await stack.wait_run(executed.json()["id"], finished)
        assert original["status"] == "completed"

        key = {"idempotency_key": "support-ticket-12"}
        first = await stack.api.post(f"/v1/runs/{original['id']}/retry", json=key)
        second = await stack.api.post(f"/v1/runs/{original['id']}/retry", json=key)
        assert first.status_code == second.status_code == 202
        assert first.json()["id"] == second.json()["id"]
        assert second.json()["status"] == "duplicate"
        retried = await stack.wait_run(first.json()["id"], finished)
    assert retried["status"] == "completed"
    assert retried["retry_of"] == original["id"]
    assert [r.json for r in ledger.requests] == [{"order": "o-5"}] * 2
    problem(await stack.api.post(f"/v1/runs/{original['id']}/retry", json={"x": 1}), 422)
