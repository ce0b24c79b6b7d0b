"""Workflow definitions through the API: CRUD, versions, lifecycle, manual runs, pinning."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Stack, finished, problem
from tests.helpers.peers import RecordingHttpServer


def greeting(name: str = "Greet", event: str = "user.signed_up") -> dict[str, Any]:
    return {
        "name": name,
        "trigger": {"type": "event", "event": event},
        "steps": [
            {
                "id": "hi",
                "type": "send_email",
                "to": "{{ email }}",
                "subject": "Hello",
                "body": "Hi there",
            }
        ],
    }


MANUAL = {
    "name": "By hand",
    "trigger": {"type": "manual"},
    "steps": [
        {
            "id": "hi",
            "type": "send_email",
            "to": "{{ email }}",
            "subject": "Hello",
            "body": "Hi there",
        }
    ],
}


async def _create(stack: Stack, document: dict[str, Any]) -> dict[str, Any]:
    response = await stack.api.post("/v1/workflows", json=document)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _post(stack: Stack, path: str, body: Any = None) -> dict[str, Any]:
    response = await stack.api.post(path, json=body)
    assert response.status_code in (200, 202), response.text
    answer: dict[str, Any] = response.json()
    return answer


# ------------------------------------------------------------------------------- CRUD, list


async def test_create_answers_201_with_a_draft_at_version_1(stack: Stack) -> None:
    created = await _create(stack, greeting())
    assert (created["status"], created["version"], created["active_version"]) == ("draft", 1, None)
    assert created["trigger_type"] == "event"
    assert (await stack.api.get(f"/v1/workflows/{created['id']}")).json() == created


async def test_list_filters_by_status_and_trigger_type(stack: Stack) -> None:
    draft = await _create(stack, greeting("Draft"))
    active = await stack.create_active(greeting("Active"))
    manual = await _create(stack, MANUAL)

    async def names(**params: str) -> list[str]:
        response = await stack.api.get("/v1/workflows", params=params)
        assert response.status_code == 200, response.text
        return sorted(w["name"] for w in response.json()["items"])

    assert await names() == sorted([draft["name"], active["name"], manual["name"]])
    assert await names(status="active") == ["Active"]
    assert await names(status="draft") == ["By hand", "Draft"]
    assert await names(trigger_type="manual") == ["By hand"]
    assert await names(status="draft", trigger_type="event") == ["Draft"]
    assert await names(status="archived") == []


async def test_cursor_pages_see_each_workflow_once_even_with_inserts(stack: Stack) -> None:
    created = [(await _create(stack, greeting(f"wf-{i}")))["id"] for i in range(5)]
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await stack.api.get("/v1/workflows", params=params)).json()
        assert len(page["items"]) <= 2
        seen += [w["id"] for w in page["items"]]
        pages += 1
        if pages == 1:  # a workflow created between pages does not shift the next ones
            await _create(stack, greeting("newcomer"))
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert sorted(seen) == sorted(created)
    assert seen == list(reversed(created))  # newest first


# -------------------------------------------------------------------------------- versions


async def test_put_and_patch_each_make_a_new_version(stack: Stack) -> None:
    wid = (await _create(stack, greeting("v1")))["id"]
    put = await stack.api.put(f"/v1/workflows/{wid}", json=greeting("v2"))
    assert (put.status_code, put.json()["version"], put.json()["name"]) == (200, 2, "v2")
    versions = (await stack.api.get(f"/v1/workflows/{wid}/versions")).json()
    assert [v["version"] for v in versions] == [2, 1]
    assert versions[1]["definition"]["name"] == "v1"  # earlier versions never change

    patched = await stack.api.patch(
        f"/v1/workflows/{wid}",
        json={"description": "patched", "trigger": {"event": "user.deleted"}},
        headers={"content-type": "application/merge-patch+json"},
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["version"], body["name"], body["description"]) == (3, "v2", "patched")
    assert body["definition"]["trigger"]["event"] == "user.deleted"
    assert body["definition"]["trigger"]["type"] == "event"  # merged, not replaced
    versions = (await stack.api.get(f"/v1/workflows/{wid}/versions")).json()
    assert [v["version"] for v in versions] == [3, 2, 1]


async def test_activate_sets_the_active_version_to_the_latest(stack: Stack) -> None:
    wid = (await _create(stack, greeting()))["id"]
    await stack.api.put(f"/v1/workflows/{wid}", json=greeting("second"))
    activated = await _post(stack, f"/v1/workflows/{wid}/activate")
    assert (activated["status"], activated["active_version"]) == ("active", 2)
    # Editing an active workflow makes the new version the active one.
    edited = (await stack.api.put(f"/v1/workflows/{wid}", json=greeting("third"))).json()
    assert (edited["status"], edited["version"], edited["active_version"]) == ("active", 3, 3)


# ------------------------------------------------------------------------------- lifecycle


async def _event_starts(stack: Stack, event: str) -> list[dict[str, Any]]:
    accepted = await _post(stack, "/v1/events", {"type": event, "data": {"email": "a@b.co"}})
    runs: list[dict[str, Any]] = accepted["runs"]
    return runs


async def test_only_an_active_workflow_is_started_by_events(stack: Stack) -> None:
    draft = await _create(stack, greeting(event="only.draft"))
    assert await _event_starts(stack, "only.draft") == []

    paused = await stack.create_active(greeting(event="then.paused"))
    await _post(stack, f"/v1/workflows/{paused['id']}/pause")
    assert await _event_starts(stack, "then.paused") == []

    archived = await stack.create_active(greeting(event="then.archived"))
    await _post(stack, f"/v1/workflows/{archived['id']}/archive")
    assert await _event_starts(stack, "then.archived") == []

    for workflow in (draft, paused, archived):
        runs = await stack.api.get(f"/v1/workflows/{workflow['id']}/runs")
        assert runs.json()["items"] == []


async def test_pause_then_reactivate_starts_runs_again(stack: Stack) -> None:
    workflow = await stack.create_active(greeting(event="on.off"))
    await _post(stack, f"/v1/workflows/{workflow['id']}/pause")
    assert await _event_starts(stack, "on.off") == []
    await _post(stack, f"/v1/workflows/{workflow['id']}/activate")
    runs = await _event_starts(stack, "on.off")
    assert [r["workflow_id"] for r in runs] == [workflow["id"]]
    await stack.wait_run(runs[0]["id"], finished)


async def test_an_archived_workflow_refuses_edits_with_409(stack: Stack) -> None:
    wid = (await _create(stack, greeting()))["id"]
    await _post(stack, f"/v1/workflows/{wid}/archive")
    problem(await stack.api.put(f"/v1/workflows/{wid}", json=greeting("again")), 409)
    problem(await stack.api.patch(f"/v1/workflows/{wid}", json={"name": "again"}), 409)
    problem(await stack.api.post(f"/v1/workflows/{wid}/activate"), 409)
    problem(await stack.api.post(f"/v1/workflows/{wid}/pause"), 409)
    problem(await stack.api.post(f"/v1/workflows/{wid}/execute", json={"input": {}}), 409)
    after = (await stack.api.get(f"/v1/workflows/{wid}")).json()
    assert (after["status"], after["version"], after["name"]) == ("archived", 1, "Greet")


async def test_delete_archives_and_keeps_the_workflow_and_its_runs(stack: Stack) -> None:
    workflow = await stack.create_active(greeting(event="soon.deleted"))
    [run] = await _event_starts(stack, "soon.deleted")
    await stack.wait_run(run["id"], finished)

    deleted = await stack.api.delete(f"/v1/workflows/{workflow['id']}")
    assert (deleted.status_code, deleted.json()["status"]) == (200, "archived")
    read = await stack.api.get(f"/v1/workflows/{workflow['id']}")
    assert (read.status_code, read.json()["status"]) == (200, "archived")
    assert await _event_starts(stack, "soon.deleted") == []
    kept = (await stack.api.get(f"/v1/workflows/{workflow['id']}/runs")).json()["items"]
    assert [r["id"] for r in kept] == [run["id"]]
    assert (await stack.api.get(f"/v1/runs/{run['id']}")).json()["status"] == "completed"


# -------------------------------------------------------------------------------- execute


async def test_execute_starts_a_run_whose_context_holds_the_input(stack: Stack) -> None:
    with RecordingHttpServer() as receiver:
        wid = (
            await _create(
                stack,
                {
                    "name": "Push order",
                    "trigger": {"type": "manual"},
                    "steps": [
                        {"id": "push", "type": "http_request", "method": "POST", "url": receiver.url("/orders"),
                         "body": {"order": "{{ order_id }}", "total": "{{ total }}"}},
                    ],
                },
            )
        )["id"]  # fmt: skip
        response = await stack.api.post(
            f"/v1/workflows/{wid}/execute", json={"input": {"order_id": "O-7", "total": 42}}
        )
        assert response.status_code == 202, response.text
        started = response.json()
        assert (started["workflow_id"], started["version"], started["status"]) == (
            wid,
            1,
            "started",
        )
        run = await stack.wait_run(started["id"], finished)
    assert run["status"] == "completed"
    assert run["trigger"]["type"] == "manual"
    assert [r.json for r in receiver.requests] == [{"order": "O-7", "total": 42}]


async def test_execute_twice_with_one_idempotency_key_starts_one_run(stack: Stack) -> None:
    wid = (await _create(stack, MANUAL))["id"]
    body = {"input": {"email": "ann@example.com"}, "idempotency_key": "checkout-1"}
    first = await _post(stack, f"/v1/workflows/{wid}/execute", body)
    second = await _post(stack, f"/v1/workflows/{wid}/execute", body)
    assert first["id"] == second["id"]
    assert (first["status"], second["status"]) == ("started", "duplicate")
    await stack.wait_run(first["id"], finished)
    assert len(stack.smtp.messages) == 1
    runs = (await stack.api.get(f"/v1/workflows/{wid}/runs")).json()["items"]
    assert [r["id"] for r in runs] == [first["id"]]
    other = await _post(stack, f"/v1/workflows/{wid}/execute", {**body, "idempotency_key": "k2"})
    assert other["id"] != first["id"]
    await stack.wait_run(other["id"], finished)


async def test_a_paused_workflow_cannot_be_executed(stack: Stack) -> None:
    workflow = await stack.create_active(MANUAL)
    await _post(stack, f"/v1/workflows/{workflow['id']}/pause")
    problem(await stack.api.post(f"/v1/workflows/{workflow['id']}/execute", json={}), 409)


# ------------------------------------------------------------------------ version pinning


async def test_a_run_keeps_its_version_while_new_runs_use_the_edited_one(stack: Stack) -> None:
    slow = {
        "name": "Drip",
        "trigger": {"type": "event", "event": "lead.added"},
        "steps": [{"id": "pause", "type": "wait", "duration": "P7D"}],
    }
    workflow = await stack.create_active(slow)
    [first] = await _event_starts(stack, "lead.added")
    await stack.wait_run(first["id"], lambda r: r["status"] == "waiting")

    edited = await stack.api.put(
        f"/v1/workflows/{workflow['id']}", json={**slow, "steps": [{"id": "pause2", "type": "wait", "duration": "P1D"}]}
    )  # fmt: skip
    assert edited.json()["active_version"] == 2
    [second] = await _event_starts(stack, "lead.added")
    assert (first["version"], second["version"]) == (1, 2)
    try:
        old = await stack.wait_run(first["id"], lambda r: r["status"] == "waiting")
        new = await stack.wait_run(second["id"], lambda r: r["status"] == "waiting")
        assert (old["version"], [s["node_id"] for s in old["steps"]]) == (1, ["pause"])
        assert (new["version"], [s["node_id"] for s in new["steps"]]) == (2, ["pause2"])
    finally:
        for run in (first, second):
            await stack.client.get_workflow_handle(run["id"]).terminate("test over")
