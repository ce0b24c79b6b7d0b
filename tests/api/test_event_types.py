"""The event catalog over HTTP: entries, events checked against them, derived fields and roles
reaching runs, and validation that knows the event type's schema."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Stack, finished, problem

ORDER = {
    "type": "order.placed",
    "description": "A customer placed an order",
    "schema": {
        "type": "object",
        "properties": {
            "total": {"type": "number"},
            "buyer": {"type": "object", "properties": {"email": {"type": "string"}}},
            "items": {"type": "array", "items": {"type": "object", "required": ["sku"]}},
        },
        "required": ["total"],
    },
    "derived": {"big": "{{ total > 100 }}", "buyer_domain": "{{ buyer.email | domain }}"},
    "roles": {"organizer": "sales@shop.test", "invitee": "{{ buyer.email }}"},
}


async def test_an_entry_is_created_read_listed_replaced_and_deleted(stack: Stack) -> None:
    created = await stack.api.post("/v1/event-types", json=ORDER)
    assert created.status_code == 201, created.text
    # With the kind each derived field gives for sample data (the condition widget's types).
    kinds = {"big": "bool", "buyer_domain": "text"}
    assert created.json() == {**ORDER, "builtin": False, "derived_kinds": kinds}
    problem(await stack.api.post("/v1/event-types", json=ORDER), 409)

    assert (await stack.api.get("/v1/event-types/order.placed")).json()["roles"] == ORDER["roles"]
    listed = (await stack.api.get("/v1/event-types")).json()
    types = {entry["type"]: entry["builtin"] for entry in listed}
    assert types["order.placed"] is False and types["booking.created"] is True

    replaced = await stack.api.put(
        "/v1/event-types/order.placed", json={"description": "v2", "type": "ignored"}
    )
    assert replaced.status_code == 200, replaced.text
    assert (replaced.json()["type"], replaced.json()["schema"]) == ("order.placed", None)
    fresh = await stack.api.put("/v1/event-types/order.shipped", json={})
    assert fresh.status_code == 201, fresh.text

    async with stack.other_tenant() as other:
        problem(await other.get("/v1/event-types/order.placed"), 404)
        problem(await other.delete("/v1/event-types/order.placed"), 404)
    assert (await stack.api.delete("/v1/event-types/order.placed")).status_code == 204
    problem(await stack.api.get("/v1/event-types/order.placed"), 404)
    problem(await stack.api.delete("/v1/event-types/booking.created"), 404)  # built-in


async def test_an_invalid_schema_is_refused_with_its_path(stack: Stack) -> None:
    body = problem(
        await stack.api.put(
            "/v1/event-types/order.placed",
            json={"schema": {"type": "object", "properties": {"total": {"minimum": "ten"}}}},
        ),
        422,
    )
    assert [e["path"] for e in body["errors"]] == ["schema.properties.total.minimum"]
    body = problem(await stack.api.post("/v1/event-types", json={"schema": {}}), 422)
    assert [e["path"] for e in body["errors"]] == ["type"]


async def test_events_violating_their_schema_are_refused_with_paths(stack: Stack) -> None:
    assert (await stack.api.post("/v1/event-types", json=ORDER)).status_code == 201
    bad = {"type": "order.placed", "id": "evt-bad", "data": {"items": [{"sku": "a"}, {}]}}
    body = problem(await stack.api.post("/v1/events", json=bad), 422)
    assert [e["path"] for e in body["errors"]] == ["data", "data.items[1]"]
    assert "'total' is a required property" in body["errors"][0]["message"]

    good = {"type": "order.placed", "id": "evt-good", "data": {"total": 5}}
    untyped = {"type": "thing.happened", "id": "evt-free", "data": {"anything": [1, "x"]}}
    body = problem(await stack.api.post("/v1/events", json=[good, untyped, bad]), 422)
    assert [e["path"] for e in body["errors"]] == ["[2].data", "[2].data.items[1]"]
    # nothing of a refused list is accepted
    problem(await stack.api.get("/v1/events/evt-good"), 404)

    accepted = await stack.api.post("/v1/events", json=[good, untyped])
    assert accepted.status_code == 202, accepted.text
    assert (await stack.api.get("/v1/events/evt-free")).json()["data"] == {"anything": [1, "x"]}


async def test_built_in_types_check_their_fields_types(stack: Stack) -> None:
    event = {"type": "booking.created", "data": {"invitee_email": 42}}
    body = problem(await stack.api.post("/v1/events", json=event), 422)
    assert [e["path"] for e in body["errors"]] == ["data.invitee_email"]


def _weekend_reminder(**trigger: Any) -> dict[str, Any]:
    return {
        "name": "Weekend bookings",
        "trigger": {
            "type": "event",
            "event": "booking.created",
            "filter": {"field": "is_weekend", "operator": "eq", "value": True},
            **trigger,
        },
        "steps": [
            {"id": "hello", "type": "send_email", "recipient": "both",
             "subject": "Booked at {{ booking_hour }}h from {{ invitee_domain }}", "body": "b"},
        ],
    }  # fmt: skip


async def test_derived_fields_filter_events_and_reach_the_run(stack: Stack) -> None:
    workflow = await stack.create_active(_weekend_reminder())
    data = {"invitee_email": "ann@acme.test", "organizer_email": "olga@relay.test"}
    saturday = {**data, "start_time": "2026-03-07T10:30:00Z"}
    monday = {**data, "start_time": "2026-03-09T10:30:00Z"}
    sat = await stack.api.post(
        "/v1/events", json={"type": "booking.created", "id": "evt-sat", "data": saturday}
    )
    mon = await stack.api.post(
        "/v1/events", json={"type": "booking.created", "id": "evt-mon", "data": monday}
    )
    assert mon.json()["runs"] == []
    [run] = sat.json()["runs"]
    assert (await stack.wait_run(run["id"], finished))["status"] == "completed"
    [message] = stack.smtp.messages
    assert message.message["Subject"] == "Booked at 10h from acme.test"
    assert sorted(message.rcpt_tos) == ["ann@acme.test", "olga@relay.test"]

    outcome = (await stack.api.get("/v1/events/evt-mon")).json()["outcomes"]
    assert [(o["workflow_id"], o["outcome"]) for o in outcome] == [(workflow["id"], "filtered_out")]


async def test_recipient_roles_come_from_the_tenants_catalog(stack: Stack) -> None:
    assert (await stack.api.post("/v1/event-types", json=ORDER)).status_code == 201
    await stack.create_active(
        {
            "name": "Order confirmation",
            "trigger": {
                "type": "event",
                "event": "order.placed",
                "filter": {"field": "big", "operator": "eq", "value": True},
            },
            "steps": [
                {
                    "id": "confirm",
                    "type": "send_email",
                    "recipient": "invitee",
                    "subject": "Order from {{ buyer_domain }}",
                    "body": "Thanks",
                },
                {
                    "id": "alert",
                    "type": "send_email",
                    "recipient": "organizer",
                    "subject": "Big order",
                    "body": "{{ total }}",
                },
            ],
        }  # fmt: skip
    )
    event = {"type": "order.placed", "data": {"total": 250, "buyer": {"email": "bo@b.test"}}}
    [run] = (await stack.api.post("/v1/events", json=event)).json()["runs"]
    assert (await stack.wait_run(run["id"], finished))["status"] == "completed"
    sent = {m.message["Subject"]: m.rcpt_tos for m in stack.smtp.messages}
    assert sent == {"Order from b.test": ["bo@b.test"], "Big order": ["sales@shop.test"]}


async def test_validation_warns_about_fields_the_event_types_schema_lacks(stack: Stack) -> None:
    assert (await stack.api.post("/v1/event-types", json=ORDER)).status_code == 201
    document = {
        "name": "Typo",
        "trigger": {
            "type": "event",
            "event": "order.placed",
            "filter": {"and": [
                {"field": "totl", "operator": "gt", "value": 5},
                {"field": "buyer", "operator": "gt", "value": 5},
                {"field": "big", "operator": "eq", "value": True},
            ]},
        },
        "steps": [{"id": "w", "type": "wait", "duration": "1h"}],
    }  # fmt: skip
    report = (await stack.api.post("/v1/workflows/validate", json=document)).json()
    assert report["valid"] is True
    assert [w["path"] for w in report["warnings"]] == [
        "trigger.filter.and[0].field",
        "trigger.filter.and[1].field",
    ]
    created = (await stack.api.post("/v1/workflows", json=document)).json()
    stored = (await stack.api.post(f"/v1/workflows/{created['id']}/validate")).json()
    assert stored["warnings"] == report["warnings"]
    async with stack.other_tenant() as other:  # another tenant's catalog has no order.placed
        assert (await other.post("/v1/workflows/validate", json=document)).json()["warnings"] == []
