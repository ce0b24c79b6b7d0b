"""From an event to a delivered action, through the API, on a real Temporal dev server."""

from __future__ import annotations

import asyncio

from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.client import Client

from tests.api.conftest import Stack, finished
from tests.helpers.peers import RecordingHttpServer
from tests.helpers.polling import eventually

BOOKING_REMINDER = {
    "name": "Discovery call follow-up",
    "trigger": {
        "type": "event",
        "event": "booking.created",
        "filter": {"field": "event_type_name", "operator": "eq", "value": "Discovery Call"},
        "entity": "{{ booking_id }}",
    },
    "steps": [
        {"id": "thanks", "type": "send_email", "to": "{{ invitee_email }}",
         "subject": "Thanks for booking, {{ invitee_name }}",
         "body": "Your {{ event_type_name }} is confirmed."},
    ],
}  # fmt: skip

BOOKING = {
    "booking_id": "bk_1",
    "event_type_name": "Discovery Call",
    "invitee_name": "Ann",
    "invitee_email": "ann@example.com",
}


async def test_event_starts_a_run_that_emails_the_invitee(stack: Stack) -> None:
    workflow = await stack.create_active(BOOKING_REMINDER)
    response = await stack.api.post(
        "/v1/events", json={"type": "booking.created", "id": "evt-1", "data": BOOKING}
    )
    assert response.status_code == 202, response.text
    runs = response.json()["runs"]
    assert [(r["workflow_id"], r["status"]) for r in runs] == [(workflow["id"], "started")]

    run = await stack.wait_run(runs[0]["id"], finished)
    assert run["status"] == "completed"
    assert run["entity"] == "bk_1"
    assert run["version"] == 1
    assert [(s["node_id"], s["status"], s["attempts"]) for s in run["steps"]] == [
        ("thanks", "completed", 1)
    ]
    assert [m.message["Subject"] for m in stack.smtp.messages] == ["Thanks for booking, Ann"]
    assert stack.smtp.messages[0].rcpt_tos == ["ann@example.com"]

    deliveries = (await stack.api.get("/v1/deliveries", params={"run_id": run["id"]})).json()
    assert [(d["channel"], d["status"], d["recipient"]) for d in deliveries["items"]] == [
        ("email", "delivered", "a***@example.com")
    ]


async def test_the_same_event_posted_twice_starts_one_run(stack: Stack) -> None:
    await stack.create_active(BOOKING_REMINDER)
    event = {"type": "booking.created", "id": "evt-dup", "data": BOOKING}
    first = (await stack.api.post("/v1/events", json=event)).json()
    second = (await stack.api.post("/v1/events", json=event)).json()
    assert first["runs"][0]["id"] == second["runs"][0]["id"]
    assert [r["status"] for r in second["runs"]] == ["duplicate"]
    await stack.wait_run(first["runs"][0]["id"], finished)
    assert len(stack.smtp.messages) == 1
    listed = (await stack.api.get("/v1/runs", params={"entity": "bk_1"})).json()["items"]
    assert len(listed) == 1


async def test_filter_that_does_not_match_starts_nothing(stack: Stack) -> None:
    await stack.create_active(BOOKING_REMINDER)
    response = await stack.api.post(
        "/v1/events",
        json={"type": "booking.created", "data": {**BOOKING, "event_type_name": "Demo"}},
    )
    assert response.json()["runs"] == []


async def test_a_list_of_events_is_answered_in_order(stack: Stack) -> None:
    await stack.create_active(BOOKING_REMINDER)
    events = [
        {
            "type": "booking.created",
            "id": f"evt-list-{i}",
            "data": {**BOOKING, "booking_id": f"b{i}"},
        }
        for i in range(3)
    ]
    response = await stack.api.post("/v1/events", json=events)
    assert response.status_code == 202
    assert [e["event_id"] for e in response.json()] == ["evt-list-0", "evt-list-1", "evt-list-2"]
    for accepted in response.json():
        await stack.wait_run(accepted["runs"][0]["id"], finished)
    assert len(stack.smtp.messages) == 3


async def test_webhook_answered_500_twice_is_retried_then_delivered(stack: Stack) -> None:
    with RecordingHttpServer() as receiver:
        receiver.script(500)
        receiver.script(500)
        await stack.create_active(
            {
                "name": "Notify CRM",
                "trigger": {"type": "event", "event": "deal.won"},
                "steps": [
                    {"id": "crm", "type": "webhook", "url": receiver.url("/deals"),
                     "body": {"deal": "{{ deal_id }}", "amount": "{{ amount }}"},
                     "retry": {"initial_interval": 0.2}},
                ],
            }
        )  # fmt: skip
        accepted = await stack.api.post(
            "/v1/events", json={"type": "deal.won", "data": {"deal_id": "D9", "amount": 1200}}
        )
        run = await stack.wait_run(accepted.json()["runs"][0]["id"], finished)
    assert run["status"] == "completed"
    step = run["steps"][0]
    assert (step["status"], step["attempts"], step["output"]["status"]) == ("completed", 3, 200)
    assert [r.json for r in receiver.requests] == [{"deal": "D9", "amount": 1200}] * 3
    assert len({r.headers["idempotency-key"] for r in receiver.requests}) == 1


async def test_webhook_answered_404_is_not_retried(stack: Stack) -> None:
    with RecordingHttpServer() as receiver:
        receiver.script(404)
        await stack.create_active(
            {
                "name": "Gone",
                "trigger": {"type": "event", "event": "deal.lost"},
                "steps": [{"id": "crm", "type": "http_request", "url": receiver.url("/x")}],
            }
        )
        accepted = await stack.api.post("/v1/events", json={"type": "deal.lost", "data": {}})
        run = await stack.wait_run(accepted.json()["runs"][0]["id"], finished)
    assert len(receiver.requests) == 1
    step = run["steps"][0]
    assert (step["status"], step["attempts"]) == ("failed", 1)
    assert step["error"]["type"] == "http_404"
    assert step["error"]["retryable"] is False


async def test_step_whose_when_is_false_shows_skipped(stack: Stack) -> None:
    with RecordingHttpServer() as receiver:
        await stack.create_active(
            {
                "name": "Big deals only",
                "trigger": {"type": "event", "event": "deal.won"},
                "steps": [
                    {"id": "alert", "type": "http_request", "url": receiver.url(),
                     "when": {"field": "amount", "operator": "gte", "value": 10000}},
                ],
            }
        )  # fmt: skip
        accepted = await stack.api.post(
            "/v1/events", json={"type": "deal.won", "data": {"amount": 50}}
        )
        run = await stack.wait_run(accepted.json()["runs"][0]["id"], finished)
    assert receiver.requests == []
    assert [(s["node_id"], s["status"]) for s in run["steps"]] == [("alert", "skipped")]


async def test_waiting_run_shows_its_wait_step_live(stack: Stack) -> None:
    workflow = await stack.create_active(
        {
            "name": "Slow drip",
            "trigger": {"type": "event", "event": "lead.created"},
            "steps": [{"id": "pause", "type": "wait", "duration": "P3D"}],
        }
    )
    accepted = await stack.api.post(
        "/v1/events", json={"type": "lead.created", "entity": "lead-7", "data": {}}
    )
    run_id = accepted.json()["runs"][0]["id"]
    run = await stack.wait_run(run_id, lambda r: r["status"] == "waiting")
    assert [(s["node_id"], s["status"]) for s in run["steps"]] == [("pause", "waiting")]
    assert run["workflow_id"] == workflow["id"]
    await _visible_in_temporal(stack.client, stack.tenant_id, workflow["id"], "lead-7", run_id)
    await stack.client.get_workflow_handle(run_id).terminate("test over")


async def _visible_in_temporal(
    client: Client, tenant: str, workflow_id: str, entity: str, run_id: str
) -> None:
    """Operators find runs in the Temporal UI by tenant, workflow and entity."""
    query = f"RelayTenant = '{tenant}' AND RelayWorkflowId = '{workflow_id}' AND RelayEntity = '{entity}'"

    async def found() -> list[str] | None:
        return [w.id async for w in client.list_workflows(query)] or None

    listed = await eventually(found, timeout=10, what="the run found by its search attributes")
    assert listed == [run_id]


async def test_an_event_redelivered_after_temporal_forgot_its_run_starts_nothing(
    stack: Stack,
) -> None:
    await stack.create_active(BOOKING_REMINDER)
    event = {"type": "booking.created", "id": "evt-late", "data": BOOKING}
    run_id = (await stack.api.post("/v1/events", json=event)).json()["runs"][0]["id"]
    await stack.wait_run(run_id, finished)
    # What Temporal's retention does to a closed run, done at once.
    await stack.client.workflow_service.delete_workflow_execution(
        DeleteWorkflowExecutionRequest(
            namespace=stack.client.namespace,
            workflow_execution=WorkflowExecution(workflow_id=run_id),
        )
    )
    again = (await stack.api.post("/v1/events", json=event)).json()
    assert [(r["id"], r["status"]) for r in again["runs"]] == [(run_id, "duplicate")]
    await asyncio.sleep(0.5)
    assert len(stack.smtp.messages) == 1
