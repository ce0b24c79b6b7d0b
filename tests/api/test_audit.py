"""Every change is in the audit log with who, when, what and from where; a run cancelled or
retried shows who did it (SPEC §7)."""

from __future__ import annotations

from typing import Any

import httpx

from storage.secrets import SecretBox
from tests.api.conftest import Stack, finished, problem

WAITS = {
    "name": "Follow up",
    "trigger": {"type": "event", "event": "booking.created", "entity": "{{ booking_id }}"},
    "steps": [{"id": "pause", "type": "wait", "duration": "P3D"}],
}


async def keyed(stack: Stack, name: str, role: str) -> dict[str, Any]:
    issued = await stack.api.post("/v1/keys", json={"name": name, "role": role})
    assert issued.status_code == 201, issued.text
    body: dict[str, Any] = issued.json()
    return body


def client_as(stack: Stack, key: str, address: str, agent: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=stack.app, client=(address, 4000)),
        base_url="http://relay.test",
        headers={"Authorization": f"Bearer {key}", "User-Agent": agent},
    )


async def test_changes_are_recorded_with_who_what_and_from_where(stack: Stack) -> None:
    stack.app.state.deps.secrets = SecretBox(SecretBox.generate_key())
    editor = await keyed(stack, "ci deploy", "editor")
    async with client_as(stack, editor["key"], "192.0.2.10", "deploy-bot/2") as ci:
        created = (await ci.post("/v1/workflows", json=WAITS)).json()
        await ci.post(f"/v1/workflows/{created['id']}/activate")
        await ci.patch(f"/v1/workflows/{created['id']}", json={"description": "v2"})
        await ci.post(f"/v1/workflows/{created['id']}/pause")
        assert (await ci.get("/v1/workflows")).status_code == 200  # reads are not changes
        problem(await ci.post("/v1/workflows/nope/activate"), 404)  # failures are not either
    await stack.api.put("/v1/secrets/API_TOKEN", json={"value": "s3cret-value"})

    log = (await stack.api.get("/v1/audit", params={"action": "workflow.*"})).json()["items"]
    assert [e["action"] for e in log] == [
        "workflow.paused", "workflow.updated", "workflow.activated", "workflow.created",
    ]  # fmt: skip
    assert {e["target_id"] for e in log} == {created["id"]}
    assert log[1]["detail"] == {"version": 2}
    assert log[0]["by"] == {
        "key_id": editor["id"], "key_name": "ci deploy",
        "client": "192.0.2.10", "user_agent": "deploy-bot/2",
    }  # fmt: skip
    everything = (await stack.api.get("/v1/audit")).json()["items"]
    assert everything[0]["action"] == "secret.set" and everything[0]["target_id"] == "API_TOKEN"
    assert "s3cret-value" not in str(everything)
    assert everything[-1]["action"] == "key.issued"  # the editor key itself


async def test_the_audit_log_pages_filters_and_is_for_admins_only(stack: Stack) -> None:
    stack.app.state.deps.secrets = SecretBox(SecretBox.generate_key())
    for n in range(5):
        await stack.api.put(f"/v1/secrets/S{n}", json={"value": "x"})
    seen: list[str] = []
    cursor = None
    while True:
        params = {"limit": 2, "action": "secret.set", **({"cursor": cursor} if cursor else {})}
        page = (await stack.api.get("/v1/audit", params=params)).json()
        seen += [e["target_id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ["S4", "S3", "S2", "S1", "S0"]
    only = (await stack.api.get("/v1/audit", params={"target_id": "S2"})).json()["items"]
    assert [e["target_id"] for e in only] == ["S2"]
    operator = await keyed(stack, "ops", "operator")
    async with stack.api_as(operator["key"]) as ops:
        problem(await ops.get("/v1/audit"), 403)
    async with stack.other_tenant() as globex:
        assert (await globex.get("/v1/audit")).json()["items"] == []


async def test_a_run_cancelled_and_retried_shows_which_key_did_it(stack: Stack) -> None:
    await stack.create_active(WAITS)
    event = {"type": "booking.created", "data": {"booking_id": "B1"}}
    run_id = (await stack.api.post("/v1/events", json=event)).json()["runs"][0]["id"]
    await stack.wait_run(run_id, lambda run: run["status"] == "waiting")
    operator = await keyed(stack, "on-call", "operator")
    async with stack.api_as(operator["key"]) as ops:
        assert (await ops.post(f"/v1/runs/{run_id}/cancel")).status_code in (200, 202)
        await stack.wait_run(run_id, finished)
        retried = await ops.post(f"/v1/runs/{run_id}/retry")
        assert retried.status_code == 202, retried.text
    run = (await stack.api.get(f"/v1/runs/{run_id}")).json()
    assert [(c["action"], c["key_name"], c["key_id"]) for c in run["control"]] == [
        ("run.cancelled", "on-call", operator["id"]),
        ("run.retried", "on-call", operator["id"]),
    ]
    assert run["control"][1]["detail"] == {"new_run_id": retried.json()["id"]}


async def test_record_writes_by_an_ingest_key_name_the_record(stack: Stack) -> None:
    ingest = await keyed(stack, "backend", "ingest")
    async with stack.api_as(ingest["key"]) as backend:
        created = await backend.post("/v1/records/lead", json={"id": "l1", "data": {"n": 1}})
        assert created.status_code == 201, created.text
        patched = await backend.patch("/v1/records/lead/l1", json={"data": {"n": 2}})
        assert patched.status_code == 200, patched.text
    log = (await stack.api.get("/v1/audit", params={"action": "record.*"})).json()["items"]
    assert [(e["action"], e["target_id"], e["by"]["key_name"]) for e in log] == [
        ("record.updated", "lead/l1", "backend"),
        ("record.created", "lead/l1", "backend"),
    ]
