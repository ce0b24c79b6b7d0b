"""Accepting events and manual runs, through the service itself."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from runs.deps import RunsDeps
from runs.errors import Conflict
from runs.intake import accept_event, execute, received
from runs.starting import START_RUN
from storage.db import session_scope
from storage.events import get_event
from storage.outbox import pending
from tests.helpers.db import run_row
from tests.runs.conftest import Service
from workflows.policies import WORKFLOW_TASK_TIMEOUT

GREETING: dict[str, Any] = {
    "name": "Greeting",
    "trigger": {"type": "event", "event": "contact.created", "entity": "{{ contact_id }}"},
    "steps": [{"id": "note", "type": "set", "values": {"greeted": "{{ name }}"}}],
}


async def _finished(service: Service, run_id: str) -> None:
    client = await service.deps.temporal()
    await client.get_workflow_handle(run_id).result()


async def test_an_event_starts_one_run_per_listener_and_a_redelivery_starts_nothing(
    service: Service,
) -> None:
    workflow, _ = service.activate(GREETING)
    event = received("contact.created", id=f"evt-{uuid.uuid4().hex[:8]}", data={"contact_id": "c9"})

    first = await accept_event(service.deps, service.tenant_id, event)
    again = await accept_event(service.deps, service.tenant_id, event)

    assert [(r.workflow_id, r.status) for r in first.runs] == [(workflow.id, "started")]
    assert [(r.id, r.status) for r in again.runs] == [(first.runs[0].id, "duplicate")]
    await _finished(service, first.runs[0].id)
    row = run_row(service.deps.engine, first.runs[0].id)
    assert row is not None
    assert (row.status, row.entity, row.event_id) == ("completed", "c9", event.id)


async def test_a_manual_run_is_one_run_per_idempotency_key(service: Service) -> None:
    workflow, version = service.activate(GREETING)
    key = f"key-{uuid.uuid4().hex[:8]}"

    first = await execute(service.deps, workflow, version, {"contact_id": "c1"}, None, key)
    again = await execute(service.deps, workflow, version, {"contact_id": "c1"}, None, key)

    assert (first.status, again.status, again.id) == ("started", "duplicate", first.id)
    await _finished(service, first.id)
    row = run_row(service.deps.engine, first.id)
    assert row is not None and row.entity == "c1"


async def test_without_temporal_the_event_is_stored_and_its_run_pending(
    service: Service, dev_env: WorkflowEnvironment
) -> None:
    service.activate(GREETING)

    async def unreachable() -> Client:
        raise ConnectionRefusedError("no Temporal here")

    deps = RunsDeps(engine=service.deps.engine, connect_temporal=unreachable, task_queue="unused")
    event = received("contact.created", data={"contact_id": "c2"})

    accepted = await accept_event(deps, service.tenant_id, event)

    assert [r.status for r in accepted.runs] == ["pending"]
    with session_scope(deps.engine) as session:
        stored = get_event(session, service.tenant_id, str(event.id))
        assert stored is not None and stored.data == {"contact_id": "c2"}
        pending_starts = pending(session, START_RUN, service.tenant_id)
        assert [i.key for i in pending_starts] == [accepted.runs[0].id]


async def test_a_paused_workflow_starts_no_manual_run(service: Service) -> None:
    workflow, version = service.activate(GREETING)
    workflow.status = "paused"

    with pytest.raises(Conflict, match="is paused"):
        await execute(service.deps, workflow, version, {}, None, None)


async def test_a_run_starts_with_its_patches_and_records_no_patch_marker(
    service: Service,
) -> None:
    # Its action still runs locally (that patch applies), without asking Temporal for it: no
    # marker naming a patch, no TemporalChangeVersion upsert (a visibility write) in its history.
    welcome = {
        "name": "Welcome",
        "trigger": {"type": "event", "event": "contact.created"},
        "steps": [{"id": "hello", "type": "send_email", "to": "{{ email }}", "subject": "Hi",
                   "body": "Welcome"}],
    }  # fmt: skip
    service.activate(welcome)
    event = received("contact.created", data={"email": "ann@example.com"})

    accepted = await accept_event(service.deps, service.tenant_id, event)
    await _finished(service, accepted.runs[0].id)

    client = await service.deps.temporal()
    history = await client.get_workflow_handle(accepted.runs[0].id).fetch_history()
    kinds = [event.WhichOneof("attributes") for event in history.events]
    markers = [
        event.marker_recorded_event_attributes.marker_name
        for event in history.events
        if event.HasField("marker_recorded_event_attributes")
    ]
    assert "activity_task_scheduled_event_attributes" not in kinds  # ran as a local activity
    assert "upsert_workflow_search_attributes_event_attributes" not in kinds
    assert markers and "core_patch" not in markers


async def test_a_run_holds_its_workflow_task_at_most_the_task_timeout(service: Service) -> None:
    # A worker killed inside a run's local action is noticed when the task times out.
    service.activate(GREETING)
    event = received("contact.created", data={"contact_id": "c1", "name": "Ann"})

    accepted = await accept_event(service.deps, service.tenant_id, event)
    await _finished(service, accepted.runs[0].id)

    client = await service.deps.temporal()
    history = await client.get_workflow_handle(accepted.runs[0].id).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    assert (
        started.workflow_task_timeout.ToTimedelta() == WORKFLOW_TASK_TIMEOUT == timedelta(seconds=5)
    )
