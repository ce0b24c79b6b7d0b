"""GET /v1/events (recent events with their outcomes) and an event type's sample data."""

from __future__ import annotations

from tests.api.conftest import Stack, finished, problem

LISTENER = {
    "name": "Demo follow-up",
    "trigger": {"type": "event", "event": "demo.booked",
                "filter": {"field": "size", "operator": "gte", "value": 10}},
    "steps": [{"id": "done", "type": "end"}],
}  # fmt: skip


async def test_recent_events_come_newest_first_with_their_outcomes(stack: Stack) -> None:
    workflow = await stack.create_active(LISTENER)
    big = await stack.api.post(
        "/v1/events", json={"type": "demo.booked", "id": "e-big", "data": {"size": 50}}
    )
    await stack.api.post(
        "/v1/events", json={"type": "demo.booked", "id": "e-small", "data": {"size": 2}}
    )
    await stack.api.post(
        "/v1/events", json={"type": "other.thing", "id": "e-other", "entity": "x1"}
    )
    await stack.wait_run(big.json()["runs"][0]["id"], finished)

    listed = (await stack.api.get("/v1/events")).json()
    assert [e["id"] for e in listed["items"]] == ["e-other", "e-small", "e-big"]
    by_id = {e["id"]: e for e in listed["items"]}
    assert [(o["workflow_id"], o["outcome"]) for o in by_id["e-big"]["outcomes"]] == [
        (workflow["id"], "started")
    ]
    assert by_id["e-big"]["outcomes"][0]["run_id"] == big.json()["runs"][0]["id"]
    assert [o["outcome"] for o in by_id["e-small"]["outcomes"]] == ["filtered_out"]
    assert by_id["e-other"]["outcomes"] == []
    assert by_id["e-other"]["entity"] == "x1"

    first = (await stack.api.get("/v1/events", params={"limit": 2})).json()
    rest = (
        await stack.api.get("/v1/events", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [e["id"] for e in first["items"] + rest["items"]] == ["e-other", "e-small", "e-big"]
    assert rest["next_cursor"] is None
    typed = (await stack.api.get("/v1/events", params={"type": "other.thing"})).json()
    assert [e["id"] for e in typed["items"]] == ["e-other"]
    by_entity = (await stack.api.get("/v1/events", params={"entity": "x1"})).json()
    assert [e["id"] for e in by_entity["items"]] == ["e-other"]


async def test_another_tenants_events_are_not_listed(stack: Stack) -> None:
    await stack.api.post("/v1/events", json={"type": "demo.booked", "data": {}})
    async with stack.other_tenant() as other:
        assert (await other.get("/v1/events")).json() == {"items": [], "next_cursor": None}


async def test_an_event_types_sample_satisfies_its_schema(stack: Stack) -> None:
    entry = {
        "type": "lead.scored",
        "schema": {
            "type": "object",
            "properties": {"email": {"type": "string", "format": "email"},
                           "score": {"type": "integer", "minimum": 0}},
            "required": ["email", "score"],
        },
    }  # fmt: skip
    assert (await stack.api.post("/v1/event-types", json=entry)).status_code == 201
    sample = (await stack.api.get("/v1/event-types/lead.scored/sample")).json()
    assert sample["type"] == "lead.scored"
    assert set(sample["data"]) == {"email", "score"}
    sent = await stack.api.post("/v1/events", json={"type": "lead.scored", "data": sample["data"]})
    assert sent.status_code == 202, sent.text  # the catalog accepts its own sample

    problem(await stack.api.get("/v1/event-types/no.such.type/sample"), 404)
