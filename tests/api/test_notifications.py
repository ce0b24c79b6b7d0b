"""In-app notifications: stored by a run's notify step, listed per recipient, marked read."""

from __future__ import annotations

from tests.api.conftest import Stack, finished, problem


async def test_a_notify_step_stores_a_notification_the_recipient_lists_and_reads(
    stack: Stack,
) -> None:
    workflow = await stack.create_active(
        {
            "name": "Tell the owner",
            "trigger": {"type": "event", "event": "lead.qualified"},
            "steps": [
                {"id": "tell", "type": "send_notification", "recipient": "{{ owner }}",
                 "message": "New qualified lead: {{ company }}", "link": "/leads/{{ lead_id }}"},
            ],
        }
    )  # fmt: skip
    for owner, company in (("ann@acme.com", "Initech"), ("bo@acme.com", "Globex")):
        sent = await stack.api.post(
            "/v1/events",
            json={"type": "lead.qualified",
                  "data": {"owner": owner, "company": company, "lead_id": "l1"}},
        )  # fmt: skip
        run = await stack.wait_run(sent.json()["runs"][0]["id"], finished)
        assert run["status"] == "completed", run
    assert workflow["status"] == "active"

    mine = (await stack.api.get("/v1/notifications", params={"recipient": "ann@acme.com"})).json()
    [note] = mine["items"]
    assert (note["message"], note["link"], note["read"]) == (
        "New qualified lead: Initech", "/leads/l1", False,
    )  # fmt: skip
    read = await stack.api.post(f"/v1/notifications/{note['id']}/read")
    assert read.json()["read"] is True
    again = await stack.api.post(f"/v1/notifications/{note['id']}/read")
    assert again.json()["read_at"] == read.json()["read_at"]

    unread = await stack.api.get("/v1/notifications", params={"unread": "true"})
    assert [n["recipient"] for n in unread.json()["items"]] == ["bo@acme.com"]
    page = (await stack.api.get("/v1/notifications", params={"limit": 1})).json()
    assert page["next_cursor"] is not None
    async with stack.other_tenant() as other:
        problem(await other.post(f"/v1/notifications/{note['id']}/read"), 404)
        assert (await other.get("/v1/notifications")).json()["items"] == []
    problem(await stack.api.post("/v1/notifications/0/read"), 422)
