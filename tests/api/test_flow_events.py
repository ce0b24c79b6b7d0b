"""Events posted to the API reach the runs waiting for them, on a real Temporal dev server."""

from __future__ import annotations

from tests.api.conftest import Stack, finished
from tests.helpers.peers import RecordingHttpServer


async def test_a_run_waiting_for_payment_continues_when_the_payment_event_arrives(
    stack: Stack,
) -> None:
    with RecordingHttpServer() as ledger:
        await stack.create_active(
            {
                "name": "Thank on payment",
                "trigger": {"type": "event", "event": "invoice.sent", "entity": "{{ invoice_id }}"},
                "steps": [
                    {"id": "paid", "type": "wait_for_event", "event": "invoice.paid",
                     "condition": {"field": "amount", "operator": "gt", "value": 0},
                     "timeout": "P30D"},
                    {"id": "book", "type": "http_request", "url": ledger.url("/payments"),
                     "body": {"invoice": "{{ invoice_id }}",
                              "amount": "{{ steps.paid.output.data.amount }}"}},
                ],
            }
        )  # fmt: skip
        sent = await stack.api.post(
            "/v1/events",
            json={"type": "invoice.sent", "entity": "inv-9", "data": {"invoice_id": "inv-9"}},
        )
        run_id = sent.json()["runs"][0]["id"]
        await stack.wait_run(run_id, lambda r: r["status"] == "waiting")

        other = await stack.api.post(
            "/v1/events", json={"type": "invoice.paid", "entity": "inv-10", "data": {"amount": 5}}
        )
        assert other.json()["signalled"] == []
        paid = await stack.api.post(
            "/v1/events",
            json={
                "type": "invoice.paid",
                "id": "pay-1",
                "entity": "inv-9",
                "data": {"amount": 120},
            },
        )
        assert paid.json()["signalled"] == [run_id]
        run = await stack.wait_run(run_id, finished)
    assert run["status"] == "completed"
    assert [(s["node_id"], s["status"]) for s in run["steps"]] == [
        ("paid", "completed"),
        ("book", "completed"),
    ]
    assert run["steps"][0]["output"]["id"] == "pay-1"
    assert [r.json for r in ledger.requests] == [{"invoice": "inv-9", "amount": 120}]


async def test_a_goal_met_by_an_update_event_ends_the_run_mid_wait(stack: Stack) -> None:
    with RecordingHttpServer() as crm:
        await stack.create_active(
            {
                "name": "Nurture until customer",
                "trigger": {"type": "event", "event": "lead.created", "entity": "{{ lead_id }}"},
                "nodes": [
                    {"id": "pause", "type": "wait", "duration": "P3D"},
                    {"id": "nudge", "type": "http_request", "url": crm.url("/nudge")},
                    {"id": "won", "type": "goal",
                     "condition": {"field": "status", "operator": "eq", "value": "customer"}},
                ],
                "edges": [
                    {"from": "trigger", "to": "pause"},
                    {"from": "pause", "to": "nudge"},
                ],
            }
        )  # fmt: skip
        created = await stack.api.post(
            "/v1/events",
            json={
                "type": "lead.created",
                "entity": "lead-1",
                "data": {"lead_id": "lead-1", "status": "new"},
            },
        )
        run_id = created.json()["runs"][0]["id"]
        await stack.wait_run(run_id, lambda r: r["status"] == "waiting")
        updated = await stack.api.post(
            "/v1/events",
            json={"type": "lead.updated", "entity": "lead-1", "data": {"status": "customer"}},
        )
        assert updated.json()["signalled"] == [run_id]
        run = await stack.wait_run(run_id, finished)
    assert run["status"] == "goal_reached"
    assert run["goal"] == "won"
    assert crm.requests == []
    statuses = {s["node_id"]: s["status"] for s in run["steps"]}
    assert statuses == {"pause": "cancelled", "won": "completed"}
