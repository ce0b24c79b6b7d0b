"""Reschedule-aware waits on the time-skipping server: a meeting moves, its reminder moves
with it instead of firing at the old time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from storage.db import session_scope
from storage.watches import runs_watching
from tests.helpers.db import run_row
from tests.helpers.peers import RecordingHttpServer
from tests.helpers.temporal import relay_worker, run_input, start_run
from tests.workflows.flow_helpers import ENTITY, call, event, step_rows, step_waiting


def reminder(**wait: Any) -> dict[str, Any]:
    return {
        "name": "Meeting reminder",
        "trigger": {"event": "booking.created", "entity": "{{ booking_id }}"},
        "steps": [
            {"id": "wait", "type": "wait", "until": "{{ start_time }}", "offset": "-24h", **wait},
            call("remind", "/remind", body={"at": "{{ now.isoformat() }}"}),
        ],
    }


def sent_at(request: Any) -> datetime:
    return datetime.fromisoformat(request.json["at"]).astimezone(UTC)


async def test_a_rescheduled_meeting_moves_its_waiting_reminder(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    start = (await time_env.get_current_time()).replace(microsecond=0) + timedelta(days=3)
    moved = start + timedelta(days=2)
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            data = {"start_time": start.isoformat(), "url": peer.base_url}
            handle = await start_run(
                time_env.client, worker, run_input(reminder(), data, entity=ENTITY)
            )
            await step_waiting(engine, handle, "wait")
            # Waiting, the run is found by its entity's events (POST /v1/events signals it).
            with session_scope(engine) as session:
                assert runs_watching(session, "t_test", ENTITY, "booking.rescheduled") == [
                    handle.id
                ]
            # An update without the instant leaves the wait where it is.
            await handle.signal("relay.event", event("booking.updated", {"notes": "bring slides"}))
            await handle.signal(
                "relay.event", event("booking.rescheduled", {"start_time": moved.isoformat()})
            )
            result = await handle.result()
    assert result.status == "completed"
    (request,) = peer.requests  # once, at the new time — not at the old one
    new_time = moved - timedelta(hours=24)
    assert new_time <= sent_at(request) < new_time + timedelta(minutes=1)
    wait = step_rows(engine, handle.id)["wait"]
    assert wait.status == "completed"
    assert wait.output == {
        "until": new_time.isoformat(),
        "rescheduled_from": (start - timedelta(hours=24)).isoformat(),
        "rescheduled_to": new_time.isoformat(),
    }
    with session_scope(engine) as session:  # the wait's watch ended with it
        assert runs_watching(session, "t_test", ENTITY, "booking.rescheduled") == []


async def test_reschedule_on_limits_the_events_that_move_the_wait(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    start = (await time_env.get_current_time()).replace(microsecond=0) + timedelta(days=3)
    document = reminder(reschedule_on=["booking.rescheduled"])
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            data = {"start_time": start.isoformat(), "url": peer.base_url}
            handle = await start_run(
                time_env.client, worker, run_input(document, data, entity=ENTITY)
            )
            await step_waiting(engine, handle, "wait")
            later = (start + timedelta(days=5)).isoformat()
            await handle.signal("relay.event", event("booking.updated", {"start_time": later}))
            await handle.result()
    (request,) = peer.requests
    old_time = start - timedelta(hours=24)
    assert old_time <= sent_at(request) < old_time + timedelta(minutes=1)
    assert "rescheduled_to" not in step_rows(engine, handle.id)["wait"].output


@pytest.mark.parametrize("if_past", [{}, {"if_past": "continue"}], ids=["default", "continue"])
async def test_a_meeting_moved_earlier_fires_the_reminder_at_once_when_its_time_has_passed(
    time_env: WorkflowEnvironment, engine: Engine, if_past: dict[str, str]
) -> None:
    now = (await time_env.get_current_time()).replace(microsecond=0)
    start = now + timedelta(days=3)
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            data = {"start_time": start.isoformat(), "url": peer.base_url}
            handle = await start_run(
                time_env.client, worker, run_input(reminder(**if_past), data, entity=ENTITY)
            )
            await step_waiting(engine, handle, "wait")
            sooner = (now + timedelta(hours=2)).isoformat()
            await handle.signal("relay.event", event("booking.rescheduled", {"start_time": sooner}))
            result = await handle.result()
    assert result.status == "completed"
    (request,) = peer.requests
    assert sent_at(request) - now < timedelta(hours=1)
    assert step_rows(engine, handle.id)["wait"].status == "completed"


async def test_a_meeting_moved_into_the_past_skips_the_run_with_if_past_skip(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    now = (await time_env.get_current_time()).replace(microsecond=0)
    start = now + timedelta(days=3)
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            data = {"start_time": start.isoformat(), "url": peer.base_url}
            document = reminder(if_past="skip")
            handle = await start_run(
                time_env.client, worker, run_input(document, data, entity=ENTITY)
            )
            await step_waiting(engine, handle, "wait")
            sooner = now + timedelta(hours=2)  # 24h before it is already past
            await handle.signal(
                "relay.event", event("booking.rescheduled", {"start_time": sooner.isoformat()})
            )
            result = await handle.result()
    assert result.status == "skipped"
    assert peer.requests == []
    assert run_row(engine, handle.id).status == "skipped"  # type: ignore[union-attr]
    steps = step_rows(engine, handle.id)
    assert "remind" not in steps
    assert steps["wait"].status == "skipped"
    assert steps["wait"].output == {
        "until": (sooner - timedelta(hours=24)).isoformat(),
        "rescheduled_from": (start - timedelta(hours=24)).isoformat(),
        "rescheduled_to": (sooner - timedelta(hours=24)).isoformat(),
        "reason": "instant already passed",
    }
    with session_scope(engine) as session:  # the wait's watch ended with it
        assert runs_watching(session, "t_test", ENTITY, "booking.rescheduled") == []


async def test_a_date_relative_trigger_moved_into_the_past_follows_if_past_skip(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    now = (await time_env.get_current_time()).replace(microsecond=0)
    document = {
        "name": "Reminder",
        "trigger": {
            "event": "booking.created",
            "start": {"before": "24h", "field": "start_time", "if_past": "skip"},
        },
        "steps": [call("remind", "/remind")],
    }
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            data = {"start_time": (now + timedelta(days=3)).isoformat(), "url": peer.base_url}
            handle = await start_run(
                time_env.client, worker, run_input(document, data, entity=ENTITY)
            )
            await step_waiting(engine, handle, "trigger")
            sooner = (now + timedelta(hours=1)).isoformat()
            await handle.signal("relay.event", event("booking.rescheduled", {"start_time": sooner}))
            result = await handle.result()
    assert result.status == "skipped"
    assert peer.requests == []
    assert step_rows(engine, handle.id)["trigger"].status == "skipped"


async def test_a_date_relative_trigger_follows_its_meeting_too(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    start = (await time_env.get_current_time()).replace(microsecond=0) + timedelta(days=3)
    moved = start + timedelta(days=2)
    document = {
        "name": "Reminder",
        "trigger": {"event": "booking.created", "start": {"before": "24h", "field": "start_time"}},
        "steps": [call("remind", "/remind", body={"at": "{{ now.isoformat() }}"})],
    }
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            data = {"start_time": start.isoformat(), "url": peer.base_url}
            handle = await start_run(
                time_env.client, worker, run_input(document, data, entity=ENTITY)
            )
            await step_waiting(engine, handle, "trigger")
            await handle.signal(
                "relay.event", event("booking.rescheduled", {"start_time": moved.isoformat()})
            )
            await handle.result()
    (request,) = peer.requests
    assert moved - timedelta(hours=24) <= sent_at(request)
