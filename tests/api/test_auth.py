"""Every route but health needs a tenant's API key, and a tenant sees only its own objects."""

from __future__ import annotations

from typing import Any

import pytest

from storage.db import session_scope
from storage.tenants import revoke_key
from tests.api.conftest import Stack, finished, new_tenant, problem

GREETING = {
    "name": "Greet new leads",
    "trigger": {"type": "event", "event": "lead.created", "entity": "{{ lead_id }}"},
    "steps": [
        {"id": "hello", "type": "send_email", "to": "{{ email }}", "subject": "Hi", "body": "Hello"}
    ],
}
LEAD = {"type": "lead.created", "data": {"lead_id": "L1", "email": "ann@example.com"}}


async def _run_of_tenant_a(stack: Stack) -> tuple[dict[str, Any], str]:
    workflow = await stack.create_active(GREETING)
    accepted = await stack.api.post("/v1/events", json=LEAD)
    run_id = accepted.json()["runs"][0]["id"]
    await stack.wait_run(run_id, finished)
    return workflow, run_id


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc", "Bearer rly_unknown"],
)
async def test_missing_garbled_or_unknown_key_is_401_with_a_challenge(
    stack: Stack, authorization: str | None
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    async with stack.api_as(None) as anonymous:
        for method, path in [("GET", "/v1/workflows"), ("POST", "/v1/events"), ("GET", "/v1/runs")]:
            response = await anonymous.request(method, path, headers=headers, json={})
            problem(response, 401)
            assert response.headers["www-authenticate"] == "Bearer"


async def test_a_revoked_key_is_refused(stack: Stack) -> None:
    _, key = new_tenant(stack.engine, "Soon gone")
    async with stack.api_as(key) as client:
        assert (await client.get("/v1/workflows")).status_code == 200
        with session_scope(stack.engine) as session:
            revoke_key(session, key)
        problem(await client.get("/v1/workflows"), 401)


async def test_health_needs_no_key(stack: Stack) -> None:
    async with stack.api_as(None) as anonymous:
        assert (await anonymous.get("/healthz")).status_code == 200
        assert (await anonymous.get("/readyz")).status_code == 200


async def test_another_tenants_workflow_and_run_are_404_on_every_route(stack: Stack) -> None:
    workflow, run_id = await _run_of_tenant_a(stack)
    wid = workflow["id"]
    async with stack.other_tenant() as beta:
        calls: list[tuple[str, str, Any]] = [
            ("GET", f"/v1/workflows/{wid}", None),
            ("PUT", f"/v1/workflows/{wid}", GREETING),
            ("PATCH", f"/v1/workflows/{wid}", {"name": "stolen"}),
            ("DELETE", f"/v1/workflows/{wid}", None),
            ("POST", f"/v1/workflows/{wid}/activate", None),
            ("POST", f"/v1/workflows/{wid}/pause", None),
            ("POST", f"/v1/workflows/{wid}/archive", None),
            ("GET", f"/v1/workflows/{wid}/versions", None),
            ("POST", f"/v1/workflows/{wid}/execute", {"input": {}}),
            ("GET", f"/v1/workflows/{wid}/runs", None),
            ("GET", f"/v1/runs/{run_id}", None),
        ]
        for method, path, body in calls:
            problem(await beta.request(method, path, json=body), 404)

    # Nothing tenant B tried changed tenant A's workflow.
    mine = (await stack.api.get(f"/v1/workflows/{wid}")).json()
    assert (mine["name"], mine["status"], mine["version"]) == ("Greet new leads", "active", 1)


async def test_another_tenants_event_does_not_start_my_workflows(stack: Stack) -> None:
    await stack.create_active(GREETING)
    async with stack.other_tenant() as beta:
        accepted = await beta.post("/v1/events", json={**LEAD, "id": "evt-beta-1"})
        assert accepted.status_code == 202, accepted.text
        assert accepted.json()["runs"] == []
    # The same event id is tenant A's own: it starts A's workflow.
    mine = await stack.api.post("/v1/events", json={**LEAD, "id": "evt-beta-1"})
    assert [r["status"] for r in mine.json()["runs"]] == ["started"]
    await stack.wait_run(mine.json()["runs"][0]["id"], finished)


async def test_lists_show_only_the_tenants_own_objects(stack: Stack) -> None:
    workflow, run_id = await _run_of_tenant_a(stack)
    async with stack.other_tenant() as beta:
        created = await beta.post("/v1/workflows", json={**GREETING, "name": "Beta's own"})
        assert created.status_code == 201
        workflows = (await beta.get("/v1/workflows")).json()["items"]
        assert [w["name"] for w in workflows] == ["Beta's own"]
        assert (await beta.get("/v1/runs")).json()["items"] == []
        by_workflow = await beta.get("/v1/runs", params={"workflow_id": workflow["id"]})
        assert by_workflow.json()["items"] == []
        assert (await beta.get("/v1/deliveries")).json()["items"] == []
    mine = (await stack.api.get("/v1/runs", params={"workflow_id": workflow["id"]})).json()
    assert [r["id"] for r in mine["items"]] == [run_id]
