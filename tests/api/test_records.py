"""The record store over HTTP, and its change events reaching workflows, on a real dev server."""

from __future__ import annotations

import json

from tests.api.conftest import Stack, finished, problem


async def test_crud_tags_lists_and_history(stack: Stack) -> None:
    api = stack.api
    created = await api.post(
        "/v1/records/contact",
        json={"id": "c1", "data": {"name": "Ann", "score": 80}, "tags": ["lead"]},
    )
    assert created.status_code == 201, created.text
    assert created.json()["data"] == {"name": "Ann", "score": 80}
    await api.post("/v1/records/contact", json={"id": "c2", "data": {"name": "Bo", "score": 5}})
    problem(await api.post("/v1/records/contact", json={"id": "c1"}), 409)

    patched = await api.patch("/v1/records/contact/c1", json={"data": {"score": 95}})
    assert patched.json()["data"] == {"name": "Ann", "score": 95}
    assert patched.json()["version"] == 2
    tagged = await api.post("/v1/records/contact/c1/tags/vip")
    assert tagged.json()["tags"] == ["lead", "vip"]
    listed = await api.post("/v1/records/contact/c1/lists/newsletter")
    assert listed.json()["lists"] == ["newsletter"]
    untagged = await api.delete("/v1/records/contact/c1/tags/lead")
    assert untagged.json()["tags"] == ["vip"]

    query = {"filter": json.dumps({"score": {"$gte": 50}, "tags": {"$contains": "vip"}})}
    page = (await api.get("/v1/records/contact", params=query)).json()
    assert [r["id"] for r in page["items"]] == ["c1"]
    first = (await api.get("/v1/records/contact", params={"sort": "score", "limit": 1})).json()
    assert [r["id"] for r in first["items"]] == ["c2"]
    rest = await api.get(
        "/v1/records/contact", params={"sort": "score", "limit": 1, "cursor": first["next_cursor"]}
    )
    assert [r["id"] for r in rest.json()["items"]] == ["c1"]

    replaced = await api.put("/v1/records/contact/c1", json={"data": {"name": "Ann B."}})
    assert replaced.json()["data"] == {"name": "Ann B."}
    history = (await api.get("/v1/records/contact/c1/history")).json()
    assert [h["kind"] for h in history] == [
        "created", "updated", "tag_added", "list_added", "tag_removed", "updated",
    ]  # fmt: skip
    assert history[1]["previous"] == {"score": 80}
    assert history[-1]["previous"] == {"name": "Ann", "score": 95}

    assert (await api.delete("/v1/records/contact/c1")).status_code == 204
    problem(await api.get("/v1/records/contact/c1"), 404)


async def test_unknown_records_other_tenants_and_bad_input(stack: Stack) -> None:
    api = stack.api
    await api.post("/v1/records/deal", json={"id": "d1", "data": {"amount": 5}})
    problem(await api.get("/v1/records/deal/nope"), 404)
    problem(await api.patch("/v1/records/deal/nope", json={"data": {"a": 1}}), 404)
    problem(await api.post("/v1/records/deal/nope/tags/x"), 404)
    async with stack.other_tenant() as other:
        problem(await other.get("/v1/records/deal/d1"), 404)
        problem(await other.delete("/v1/records/deal/d1"), 404)
        assert (await other.get("/v1/records/deal")).json()["items"] == []

    bad = problem(
        await api.get("/v1/records/deal", params={"filter": '{"amount": {"$gte": [1]}}'}), 422
    )
    assert bad["errors"] == [
        {"path": "filter.amount.$gte", "message": "$gte takes a number or a string"}
    ]
    not_json = problem(await api.get("/v1/records/deal", params={"filter": "{amount"}), 422)
    assert not_json["errors"][0]["path"] == "filter"
    sort = problem(await api.get("/v1/records/deal", params={"sort": "a..b"}), 422)
    assert sort["errors"][0]["path"] == "sort"
    problem(await api.get("/v1/records/deal", params={"cursor": "garbage"}), 400)
    problem(await api.post("/v1/records/Bad-Type", json={}), 422)
    problem(await api.post("/v1/records/deal", json={"data": [1]}), 422)


async def test_a_created_contact_starts_the_workflow_listening_for_it(stack: Stack) -> None:
    await stack.create_active(
        {
            "name": "Welcome contact",
            "trigger": {"type": "event", "event": "contact.created"},
            "steps": [
                {"id": "tag", "type": "add_tag", "tag": "welcomed"},
                {"id": "task", "type": "create_task", "title": "Call {{ name }}",
                 "assignee": "owner@acme.com", "priority": "high"},
            ],
        }
    )  # fmt: skip
    await stack.api.post("/v1/records/contact", json={"id": "c9", "data": {"name": "Ann"}})
    runs = (await stack.api.get("/v1/runs", params={"entity": "contact:c9"})).json()["items"]
    assert len(runs) == 1
    run = await stack.wait_run(runs[0]["id"], finished)
    assert run["status"] == "completed", run
    contact = (await stack.api.get("/v1/records/contact/c9")).json()
    assert contact["tags"] == ["welcomed"]
    tasks = (await stack.api.get("/v1/records/task")).json()["items"]
    assert [(t["data"]["title"], t["data"]["priority"]) for t in tasks] == [("Call Ann", "high")]


async def test_a_deal_update_signals_the_run_waiting_for_it(stack: Stack) -> None:
    await stack.create_active(
        {
            "name": "Chase the deal",
            "trigger": {"type": "event", "event": "deal.created"},
            "steps": [
                {"id": "won", "type": "wait_for_event", "event": "deal.updated",
                 "condition": {"field": "stage", "operator": "eq", "value": "won"},
                 "timeout": "P30D"},
                {"id": "note", "type": "add_note",
                 "note": "Won after {{ steps.won.output.previous.stage }}"},
            ],
        }
    )  # fmt: skip
    await stack.api.post("/v1/records/deal", json={"id": "d7", "data": {"stage": "new"}})
    [listed] = (await stack.api.get("/v1/runs", params={"entity": "deal:d7"})).json()["items"]
    await stack.wait_run(listed["id"], lambda r: r["status"] == "waiting")
    await stack.api.patch("/v1/records/deal/d7", json={"data": {"stage": "won"}})
    run = await stack.wait_run(listed["id"], finished)
    assert run["status"] == "completed", run
    notes = (await stack.api.get("/v1/records/note")).json()["items"]
    assert [(n["data"]["about"], n["data"]["body"]) for n in notes] == [
        ("deal:d7", "Won after new")
    ]


async def test_text_that_cannot_be_stored_is_refused_before_anything_is_written(
    stack: Stack,
) -> None:
    api = stack.api
    refused = await api.post(
        "/v1/records/contact", json={"id": "nul", "data": {"name": "Ann"}, "tags": ["a\u0000b"]}
    )
    assert problem(refused, 422)["errors"][0]["path"] == "tags[0]"
    problem(await api.get("/v1/records/contact/nul"), 404)  # nothing half-written
    await api.post("/v1/records/contact", json={"id": "ok", "data": {"name": "Bo"}})
    tagged = await api.post("/v1/records/contact/ok/tags/a%00b")
    assert problem(tagged, 422)["errors"][0]["path"] == "path.tag"
    patched = await api.patch("/v1/records/contact/ok", json={"data": {"score": 1}})
    assert patched.status_code == 200, patched.text


async def test_a_unicode_digit_in_a_sort_path_is_a_name_not_an_index(stack: Stack) -> None:
    api = stack.api
    await api.post("/v1/records/contact", json={"id": "d1", "data": {"a": [1, 2]}})
    for sort in ("\u00b3", "a.\u00b3", "a.1", "-a.0"):
        response = await api.get("/v1/records/contact", params={"sort": sort})
        assert response.status_code == 200, (sort, response.text)
        assert [r["id"] for r in response.json()["items"]] == ["d1"]
