"""The tenant's profile: an admin names the tenant (``PUT /v1/tenant``), and templates read it
as ``{{ tenant.name }}`` — or ``{{ firm.name }}``, as the meeting engine's document writes it —
in every run that starts afterwards; an event's own ``firm`` field wins."""

from __future__ import annotations

from tests.api.conftest import Stack, finished, problem

GREETING = {
    "name": "Greeting",
    "trigger": {"type": "event", "event": "visit.confirmed"},
    "steps": [
        {"id": "mail", "type": "send_email", "to": "{{ email }}",
         "subject": "From {{ tenant.name }}", "body": "Regards, {{ firm.name }}"},
    ],
}  # fmt: skip


async def test_templates_read_the_tenants_name_as_tenant_and_firm(stack: Stack) -> None:
    renamed = await stack.api.put("/v1/tenant", json={"name": "  Smith & Co "})
    assert renamed.status_code == 200, renamed.text
    assert renamed.json() == {"id": stack.tenant_id, "name": "Smith & Co"}
    assert (await stack.api.get("/v1/tenant")).json()["name"] == "Smith & Co"
    validated = (await stack.api.post("/v1/workflows/validate", json=GREETING)).json()
    assert (validated["valid"], validated["warnings"]) == (True, [])

    await stack.create_active(GREETING)
    for data in ({"email": "ann@example.com"},
                 {"email": "bob@example.com", "firm": {"name": "Bob's own firm"}}):  # fmt: skip
        event = {"type": "visit.confirmed", "data": data}
        (started,) = (await stack.api.post("/v1/events", json=event)).json()["runs"]
        assert (await stack.wait_run(started["id"], finished))["status"] == "completed"
    first, second = stack.smtp.messages
    assert first.message["Subject"] == "From Smith & Co"
    assert first.message.get_content().strip() == "Regards, Smith & Co"
    assert second.message.get_content().strip() == "Regards, Bob's own firm"


async def test_only_an_admin_renames_the_tenant_and_the_name_cannot_be_blank(
    stack: Stack,
) -> None:
    problem(await stack.api.put("/v1/tenant", json={"name": " "}), 422)
    issued = (await stack.api.post("/v1/keys", json={"name": "ed", "role": "editor"})).json()
    async with stack.api_as(issued["key"]) as editor:
        problem(await editor.put("/v1/tenant", json={"name": "Mine"}), 403)
        assert (await editor.get("/v1/tenant")).json()["name"] == "Acme"
