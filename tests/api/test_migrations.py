"""Moving a drip campaign's runs in flight to a fixed version, through the API, on real
Temporal with a real SMTP server: previewed, applied in batches by a recoverer, and the runs
go on in the new version without re-sending what they sent."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from runs.recovery import Recoverer
from tests.api.conftest import Stack, problem
from tests.helpers.polling import eventually

PAST, FUTURE = "2020-01-01T00:00:00Z", "2090-01-01T00:00:00Z"


def email(node_id: str, subject: str) -> dict[str, Any]:
    return {"id": node_id, "type": "send_email", "to": "{{ email }}", "subject": subject,
            "body": subject}  # fmt: skip


def wait(node_id: str, field: str) -> dict[str, Any]:
    # Each wait counts to a date of the contact's, and follows it when the contact changes.
    return {"id": node_id, "type": "wait", "until": "{{ " + field + " }}"}


DRIP = {
    "name": "Drip",
    "trigger": {"type": "event", "event": "contact.joined", "entity": "{{ contact }}"},
    "steps": [
        wait("wait_0", "welcome_at"),
        email("email_1", "Welcome"),
        wait("wait_1", "email2_at"),
        email("email_2", "Three tpis"),
        wait("wait_2", "email3_at"),
        email("email_3", "Last call"),
    ],
}


def fixed() -> dict[str, Any]:
    """Email 2's text fixed, a step after email 3, the welcome (its wait and email 1) removed."""
    document = copy.deepcopy(DRIP)
    steps = document["steps"]
    steps[3] = email("email_2", "Three tips")
    steps.append(email("email_4", "One more thing"))
    del steps[0:2]
    return document


async def join(stack: Stack, contact: str, **dates: str) -> str:
    data = {"contact": contact, "email": f"{contact}@example.com", **dates}
    body = {"type": "contact.joined", "id": f"join-{contact}", "data": data}
    sent = await stack.api.post("/v1/events", json=body)
    assert sent.status_code == 202, sent.text
    return str(sent.json()["runs"][0]["id"])


async def waiting_at(stack: Stack, run_id: str, node_id: str) -> None:
    def there(run: dict[str, Any]) -> bool:
        return any(s["node_id"] == node_id and s["status"] == "waiting" for s in run["steps"])

    await stack.wait_run(run_id, there)


def subjects(stack: Stack, contact: str) -> list[str]:
    to = f"{contact}@example.com"
    return [m.message["Subject"] for m in stack.smtp.messages if to in m.rcpt_tos]


@asynccontextmanager
async def recovering(stack: Stack) -> AsyncIterator[None]:
    """A worker's recoverer for the stack's tenant, as every worker runs one."""
    stop = asyncio.Event()
    recoverer = Recoverer(stack.app.state.deps, tenant_id=stack.tenant_id)
    task = asyncio.create_task(recoverer.run(stop, interval=0.1))
    try:
        yield
    finally:
        stop.set()
        await task


async def test_a_drip_moves_to_its_fixed_version_without_resending_and_says_what_did_not(
    stack: Stack,
) -> None:
    workflow = await stack.create_active(DRIP)
    wf = workflow["id"]
    ann = await join(stack, "ann", welcome_at=PAST, email2_at=FUTURE, email3_at=FUTURE)
    bob = await join(stack, "bob", welcome_at=PAST, email2_at=PAST, email3_at=FUTURE)
    cy = await join(stack, "cy", welcome_at=FUTURE, email2_at=PAST, email3_at=PAST)
    await waiting_at(stack, ann, "wait_1")
    await waiting_at(stack, bob, "wait_2")
    await waiting_at(stack, cy, "wait_0")
    assert subjects(stack, "bob") == ["Welcome", "Three tpis"]
    edited = await stack.api.put(f"/v1/workflows/{wf}", json=fixed())
    assert edited.json()["version"] == 2

    body = {"from_version": 1, "to_version": 2, "mode": "dry_run"}
    preview = await stack.api.post(f"/v1/workflows/{wf}/migrations", json=body)
    assert preview.status_code == 200, preview.text
    moves = {r["run_id"]: r for r in preview.json()["runs"]}
    assert (moves[ann]["node_id"], moves[ann]["continues_at"], moves[ann]["wait"]) == (
        "wait_1", "wait_1", "kept",
    )  # fmt: skip
    assert (moves[bob]["continues_at"], moves[bob]["wait"]) == ("wait_2", "kept")
    assert moves[cy]["cannot_move"] and moves[cy]["reason"] == "node_removed"
    assert (preview.json()["movable"], preview.json()["cannot_move"]) == (2, 1)
    for only, expected in (({"entity": "ann"}, [ann]), ({"started_before": PAST}, [])):
        narrowed = await stack.api.post(
            f"/v1/workflows/{wf}/migrations", json={**body, "filter": only}
        )
        assert [r["run_id"] for r in narrowed.json()["runs"]] == expected, narrowed.text

    applied = await stack.api.post(
        f"/v1/workflows/{wf}/migrations", json={**body, "mode": "apply", "batch_size": 2}
    )
    assert applied.status_code == 202, applied.text
    migration = applied.json()["id"]
    async with recovering(stack):

        async def done() -> dict[str, Any] | None:
            got = await stack.api.get(f"/v1/workflows/{wf}/migrations/{migration}")
            return got.json() if got.json()["status"] == "done" else None

        result = await eventually(done, timeout=30, what="the migration done")
    assert result["progress"] == {"planned": 3, "signalled": 0, "moved": 2, "cannot_move": 1}
    outcomes = {r["run_id"]: r for r in result["runs"]}
    assert outcomes[cy]["reason"] == "node_removed"
    [listed] = (await stack.api.get(f"/v1/workflows/{wf}/migrations")).json()["items"]
    assert (listed["id"], listed["status"]) == (migration, "done")
    assert listed["progress"] == result["progress"]

    # The contacts' dates come: the moved runs go on in version 2.
    for contact in ("ann", "bob"):
        change = {"type": "contact.updated", "id": f"due-{contact}", "entity": contact,
                  "data": {"email2_at": PAST, "email3_at": PAST}}  # fmt: skip
        assert (await stack.api.post("/v1/events", json=change)).status_code == 202
    for run_id in (ann, bob):
        run = await stack.wait_run(run_id, lambda r: r["status"] == "completed")
        assert run["version"] == 2
        [history] = run["versions"]
        node = "wait_1" if run_id == ann else "wait_2"
        assert history["summary"] == f"v1 → v2 at node {node} by migration {migration}"
    assert subjects(stack, "ann") == ["Welcome", "Three tips", "Last call", "One more thing"]
    assert subjects(stack, "bob") == ["Welcome", "Three tpis", "Last call", "One more thing"]

    still = (await stack.api.get(f"/v1/runs/{cy}")).json()
    assert (still["version"], still["status"], still["versions"]) == (1, "waiting", [])
    await stack.api.post(f"/v1/runs/{cy}/cancel")
    audit = (await stack.api.get("/v1/audit", params={"action": "workflow.migration"})).json()
    assert [e["detail"]["mode"] for e in audit["items"]] == ["apply"] + ["dry_run"] * 3


async def test_a_migration_refuses_what_it_cannot_do_with_the_path_of_each_problem(
    stack: Stack,
) -> None:
    workflow = await stack.create_active(DRIP)
    url = f"/v1/workflows/{workflow['id']}/migrations"
    body = {"from_version": 1, "to_version": 7, "map": {"wait_0": "nowhere"}}
    refused = problem(await stack.api.post(url, json=body), 422)
    assert [e["path"] for e in refused["errors"]] == ["to_version"]
    await stack.api.put(f"/v1/workflows/{workflow['id']}", json=fixed())
    refused = problem(await stack.api.post(url, json={**body, "to_version": 2}), 422)
    assert [e["path"] for e in refused["errors"]] == ["map.wait_0"]
    same = problem(await stack.api.post(url, json={"from_version": 2, "to_version": 2}), 422)
    assert [e["path"] for e in same["errors"]] == ["from_version"]
    problem(await stack.api.post("/v1/workflows/wf_nope/migrations", json=body), 404)
    problem(await stack.api.get(f"{url}/m_nope"), 404)
    problem(await stack.api.get("/v1/workflows/wf_nope/migrations"), 404)


async def test_a_workflows_migrations_are_listed_newest_first_a_page_at_a_time(
    stack: Stack,
) -> None:
    workflow = await stack.create_active(DRIP)
    await stack.api.put(f"/v1/workflows/{workflow['id']}", json=fixed())
    url = f"/v1/workflows/{workflow['id']}/migrations"
    applied = []
    for rate in (10, 20, 30):
        body = {"from_version": 1, "to_version": 2, "mode": "apply", "rate": rate}
        created = await stack.api.post(url, json=body)
        assert created.status_code == 202, created.text
        applied.append(created.json()["id"])
    first = (await stack.api.get(url, params={"limit": 2})).json()
    assert [m["id"] for m in first["items"]] == applied[:0:-1]
    assert first["items"][0]["progress"] == {
        "planned": 0, "signalled": 0, "moved": 0, "cannot_move": 0,
    }  # fmt: skip
    assert "runs" not in first["items"][0]
    rest = (await stack.api.get(url, params={"limit": 2, "cursor": first["next_cursor"]})).json()
    assert ([m["id"] for m in rest["items"]], rest["next_cursor"]) == ([applied[0]], None)


async def test_an_editor_may_preview_a_migration_but_not_apply_it(stack: Stack) -> None:
    workflow = await stack.create_active(DRIP)
    await stack.api.put(f"/v1/workflows/{workflow['id']}", json=fixed())
    url = f"/v1/workflows/{workflow['id']}/migrations"
    created = await stack.api.post("/v1/keys", json={"name": "ed", "role": "editor"})
    assert created.status_code == 201, created.text
    async with stack.api_as(created.json()["key"]) as editor:
        body = {"from_version": "all_older", "to_version": 2}
        assert (await editor.post(url, json=body)).status_code == 200
        refused = problem(await editor.post(url, json={**body, "mode": "apply"}), 403)
        assert "editor" in refused["detail"]
