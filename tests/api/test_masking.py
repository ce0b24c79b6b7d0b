"""A viewer reads runs, deliveries and events with recipients and message content masked;
the other roles see their tenant's data as it is (SPEC §7)."""

from __future__ import annotations

from tests.api.conftest import Stack, finished

ADDRESS = "grace.hopper@example.com"
PHONE = "+15551234567"
REMINDER = {
    "name": "Reminder",
    "trigger": {"type": "event", "event": "booking.created"},
    "steps": [
        {"id": "mail", "type": "send_email", "to": "{{ email }}",
         "subject": "Your call", "body": "Dial {{ phone }} at noon."},
    ],
}  # fmt: skip


async def test_a_viewer_sees_recipients_and_message_content_masked(stack: Stack) -> None:
    workflow = await stack.create_active(REMINDER)
    data = {"email": ADDRESS, "phone": PHONE}
    accepted = await stack.api.post("/v1/events", json={"type": "booking.created", "data": data})
    run_id = accepted.json()["runs"][0]["id"]
    run = await stack.wait_run(run_id, finished)
    assert run["status"] == "completed", run
    paths = [
        f"/v1/runs/{run_id}",
        "/v1/runs",
        "/v1/deliveries",
        f"/v1/events/{accepted.json()['event_id']}",
    ]
    admin_sees = [(await stack.api.get(path)).text for path in paths]
    assert ADDRESS in admin_sees[0] and ADDRESS in admin_sees[3] and PHONE in admin_sees[3]
    assert "@example.com" in admin_sees[2]  # the delivery log keeps the recipient's domain

    issued = (await stack.api.post("/v1/keys", json={"name": "auditor", "role": "viewer"})).json()
    async with stack.api_as(issued["key"]) as viewer:
        for path in paths:
            response = await viewer.get(path)
            assert response.status_code == 200, response.text
            assert "@example.com" not in response.text and PHONE not in response.text, path
        deliveries = (await viewer.get("/v1/deliveries")).json()["items"]
        assert deliveries and deliveries[0]["run_id"] == run_id  # the rest still reads
        # How the workflow is built stays readable: templates are not content.
        shown = (await viewer.get(f"/v1/workflows/{workflow['id']}")).json()
        assert "{{ email }}" in str(shown["definition"])
    issued = (await stack.api.post("/v1/keys", json={"name": "ops", "role": "operator"})).json()
    async with stack.api_as(issued["key"]) as operator:
        assert ADDRESS in (await operator.get(f"/v1/runs/{run_id}")).text


async def test_a_viewer_reads_a_flows_edges_whole(stack: Stack) -> None:
    """Edges' ``from``/``to`` name nodes, not recipients: masking them broke the graph."""
    workflow = await stack.create_active(REMINDER)
    issued = (await stack.api.post("/v1/keys", json={"name": "auditor", "role": "viewer"})).json()
    async with stack.api_as(issued["key"]) as viewer:
        graph = (await viewer.get(f"/v1/workflows/{workflow['id']}/graph")).json()
        shown = (await viewer.get(f"/v1/workflows/{workflow['id']}")).json()
    assert [(e["from"], e["to"]) for e in graph["edges"]] == [("trigger", "mail")]
    assert [(e["from"], e["to"]) for e in shown["definition"]["edges"]] == [("trigger", "mail")]
    (mail,) = shown["definition"]["nodes"]
    assert mail["config"]["subject"] == "•••"  # content under the nodes stays masked
