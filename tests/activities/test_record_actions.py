"""The record actions as activities, on the real database: each records its step, emits its
change's event, and makes its change once per idempotency key however often it is retried."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.record_actions import RecordActions
from storage.db import session_scope
from storage.notifications import notifications_query
from storage.records import changes_of, create_record, get_record
from tests.helpers.db import steps_of
from workflows.contract import ActionInput, RunRef, StepRecord


class Sink:
    """The event sink the worker injects, recording what it was given."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, tenant_id: str, event: dict[str, Any]) -> None:
        self.events.append((tenant_id, event))

    def types(self) -> list[str]:
        return [event["type"] for _, event in self.events]


@pytest.fixture
def tenant() -> str:
    return f"t_{uuid.uuid4().hex[:8]}"


def action(tenant: str, type_: str, config: dict[str, Any], step: str = "s") -> ActionInput:
    run = RunRef(tenant, f"run_{uuid.uuid4().hex[:12]}", "wf_1", 1)
    return ActionInput(run, StepRecord(step, step, type_, "running"), config, max_attempts=5)


async def test_a_retried_create_makes_one_record_and_emits_one_event_id(
    engine: Engine, tenant: str
) -> None:
    sink, env = Sink(), ActivityEnvironment()
    records = RecordActions(engine, sink)
    task = action(tenant, "create_record", {
        "record_type": "task", "title": "Call Ann", "assignee": "bo@acme.com",
        "due_days": 2, "priority": "high",
    })  # fmt: skip
    first = await env.run(records.create_record, task)
    again = await env.run(records.create_record, task)

    assert first == again
    record_id = first["record"]["id"]
    with session_scope(engine) as session:
        record = get_record(session, tenant, "task", record_id)
        assert record is not None
        assert len(changes_of(session, tenant, "task", record_id)) == 1
    assert record.data["title"] == "Call Ann" and "due_days" not in record.data
    assert len(record.data["due_date"]) == 10
    # Emitted on each attempt under one event id: the API stores and starts it once.
    assert {event["id"] for _, event in sink.events} == {sink.events[0][1]["id"]}
    assert sink.events[0] == (tenant, sink.events[0][1])
    assert sink.events[0][1]["type"] == "task.created"
    assert sink.events[0][1]["entity"] == f"task:{record_id}"
    step = steps_of(engine, task.run.run_id)["s"]
    assert (step.status, step.output["record"]["id"]) == ("completed", record_id)


async def test_update_keeps_the_originals_and_booking_updates_are_limited(
    engine: Engine, tenant: str
) -> None:
    with session_scope(engine) as session:
        create_record(session, tenant, "booking", "bk_1", {"status": "pending", "start": "9:00"})
    sink, env = Sink(), ActivityEnvironment()
    records = RecordActions(engine, sink)
    update = action(tenant, "update_record", {
        "record_type": "booking", "record_id": "bk_1",
        "update_booking_fields": {"status": "confirmed", "meeting_link": "https://meet/x"},
    })  # fmt: skip
    output = await env.run(records.update_record, update)
    assert output["record"]["status"] == "confirmed"
    [(_, event)] = sink.events
    assert event["previous"] == {"status": "pending", "meeting_link": None}

    refused = action(tenant, "update_record", {
        "record_type": "booking", "record_id": "bk_1", "fields": {"start": "10:00"},
    })  # fmt: skip
    with pytest.raises(ApplicationError) as caught:
        await env.run(records.update_record, refused)
    assert caught.value.type == "field_not_allowed" and caught.value.non_retryable


async def test_a_missing_record_is_a_permanent_failure(engine: Engine, tenant: str) -> None:
    records = RecordActions(engine, Sink())
    step = action(tenant, "update_record", {"record_type": "deal", "record_id": "nope",
                                           "field": "stage", "value": "won"})  # fmt: skip
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(records.update_record, step)
    assert (caught.value.type, caught.value.non_retryable) == ("record_not_found", True)


async def test_tags_lists_notes_delete_and_query(engine: Engine, tenant: str) -> None:
    with session_scope(engine) as session:
        create_record(session, tenant, "contact", "c1", {"name": "Ann", "score": 90})
        create_record(session, tenant, "contact", "c2", {"name": "Bo", "score": 20})
    sink, env = Sink(), ActivityEnvironment()
    records = RecordActions(engine, sink)
    target = {"record_type": "contact", "record_id": "c1"}
    await env.run(records.add_tag, action(tenant, "add_tag", {**target, "tags": ["vip", "eu"]}))
    await env.run(records.remove_tag, action(tenant, "remove_tag", {**target, "tag": "eu"}))
    await env.run(records.add_to_list, action(tenant, "add_to_list", {**target, "list": "news"}))
    await env.run(
        records.remove_from_list, action(tenant, "remove_from_list", {**target, "list": "news"})
    )
    note = await env.run(
        records.add_note, action(tenant, "add_note", {**target, "note": "Called, keen."})
    )
    assert note["record"]["about"] == "contact:c1"
    found = await env.run(
        records.query_records,
        action(tenant, "query_records", {"entity": "contact", "filter": {"score": {"$gte": 50}}}),
    )
    assert [(r["id"], r["name"], r["tags"]) for r in found] == [("c1", "Ann", ["vip"])]
    await env.run(records.delete_record, action(tenant, "delete_record", {**target}))
    assert sink.types() == [
        "contact.tag_added", "contact.tag_added", "contact.tag_removed", "contact.list_added",
        "contact.list_removed", "note.created", "contact.deleted",
    ]  # fmt: skip
    assert sink.events[-1][1]["data"]["name"] == "Ann"
    with pytest.raises(ApplicationError) as caught:
        await env.run(
            records.query_records,
            action(tenant, "query_records", {"record_type": "x", "filter": {"a": {"$gt": []}}}),
        )
    assert caught.value.type == "invalid_filter"


async def test_notify_stores_one_notification_per_key(engine: Engine, tenant: str) -> None:
    records, env = RecordActions(engine), ActivityEnvironment()
    step = action(tenant, "notify", {
        "recipient": "owner@acme.com", "message": "New lead", "link": "/leads/1",
        "notification_type": "in_app",
    })  # fmt: skip
    first = await env.run(records.notify, step)
    assert await env.run(records.notify, step) == first
    with session_scope(engine) as session:
        rows = list(session.exec(notifications_query(tenant)))
    assert [(r.recipient, r.message, r.link, r.kind) for r in rows] == [
        ("owner@acme.com", "New lead", "/leads/1", "in_app")
    ]
