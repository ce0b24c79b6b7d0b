"""wait_for_event, wait_condition and goals, with events signalled as the API routes them."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from tests.helpers.db import run_row
from tests.helpers.peers import RecordingHttpServer
from tests.helpers.temporal import relay_worker, run_input, start_run
from tests.workflows.flow_helpers import (
    ENTITY,
    call,
    event,
    run_once,
    step_rows,
    step_waiting,
)

# --------------------------------------------------------------------------------- waits


def awaiting_confirmation(**extra: Any) -> dict[str, Any]:
    return {
        "name": "Await confirmation",
        "nodes": [
            {"id": "confirm", "type": "wait_for_event", "event": "booking.confirmed",
             "timeout": "2d", **extra},
            call("received", "/received", body={"by": "{{ steps.confirm.output.data.by }}"}),
            call("expired", "/expired"),
        ],
        "edges": [
            {"from": "trigger", "to": "confirm"},
            {"from": "confirm", "to": "received", "when": "received"},
            {"from": "confirm", "to": "expired", "when": "timeout"},
        ],
    }  # fmt: skip


async def test_wait_for_event_follows_received_with_the_awaited_event_as_output(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = awaiting_confirmation(
        condition={"field": "event.data.by", "operator": "not_equals", "value": "bot"}
    )
    confirmed = event("booking.confirmed", {"by": "ann"})
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            data = {"url": peer.base_url}
            handle = await start_run(
                time_env.client, worker, run_input(document, data, entity=ENTITY)
            )
            await step_waiting(engine, handle, "confirm")
            await handle.signal("relay.event", event("booking.cancelled", {"by": "ann"}))
            await handle.signal("relay.event", event("booking.confirmed", {"by": "bot"}))
            other = {**event("booking.confirmed", {"by": "cy"}), "entity": "booking-2"}
            await handle.signal("relay.event", other)
            await handle.signal("relay.event", confirmed)
            result = await handle.result()
    assert result.path == ["confirm", "received"]
    assert [(r.path, r.json) for r in peer.requests] == [("/received", {"by": "ann"})]
    step = step_rows(engine, handle.id)["confirm"]
    assert (step.status, step.output) == ("completed", confirmed)


async def test_wait_for_event_follows_timeout_in_virtual_time(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    with RecordingHttpServer() as peer:
        began = time.monotonic()
        run_id, result = await run_once(
            time_env, engine, awaiting_confirmation(), {"url": peer.base_url}, entity=ENTITY
        )
    assert time.monotonic() - began < 5
    assert result.path == ["confirm", "expired"]
    assert [r.path for r in peer.requests] == ["/expired"]
    step = step_rows(engine, run_id)["confirm"]
    assert step.status == "completed"
    assert step.output == {"event": "booking.confirmed", "timed_out": True}


async def test_the_same_event_delivered_twice_counts_once(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Two confirmations",
        "steps": [
            {"id": "first", "type": "wait_for_event", "event": "booking.confirmed",
             "timeout": "1d"},
            {"id": "second", "type": "wait_for_event", "event": "booking.confirmed",
             "timeout": "1d", "on_timeout": [call("once", "/once")]},
        ],
    }  # fmt: skip
    confirmed = event("booking.confirmed", {})
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            handle = await start_run(
                time_env.client, worker, run_input(document, {"url": peer.base_url}, entity=ENTITY)
            )
            await step_waiting(engine, handle, "first")
            await handle.signal("relay.event", confirmed)
            await step_waiting(engine, handle, "second")
            await handle.signal("relay.event", confirmed)  # redelivered: not a second one
            result = await handle.result()
    assert result.path == ["first", "second", "once"]
    steps = step_rows(engine, handle.id)
    assert steps["first"].output == confirmed
    assert steps["second"].output["timed_out"] is True


def awaiting_payment(**wait: Any) -> dict[str, Any]:
    return {
        "name": "Await payment",
        "steps": [
            {"id": "paid", "type": "wait_condition",
             "condition": {"field": "invoice_status", "operator": "equals", "value": "paid"},
             "timeout": "3d", "on_timeout": [call("chase", "/chase")], **wait},
            call("thanks", "/thanks"),
        ],
    }  # fmt: skip


async def test_wait_condition_that_holds_at_once_does_not_wait(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    with RecordingHttpServer() as peer:
        data = {"url": peer.base_url, "invoice_status": "paid"}
        run_id, result = await run_once(time_env, engine, awaiting_payment(), data, entity=ENTITY)
    assert result.path == ["paid", "thanks"]
    assert [r.path for r in peer.requests] == ["/thanks"]
    assert step_rows(engine, run_id)["paid"].output == {"held": True}


async def test_wait_condition_goes_on_when_an_event_makes_it_hold(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            data = {"url": peer.base_url, "invoice_status": "open"}
            handle = await start_run(
                time_env.client, worker, run_input(awaiting_payment(), data, entity=ENTITY)
            )
            await step_waiting(engine, handle, "paid")
            await handle.signal("relay.event", event("invoice.updated", {"invoice_status": "due"}))
            await handle.signal("relay.event", event("invoice.paid", {"invoice_status": "paid"}))
            result = await handle.result()
    assert result.path == ["paid", "thanks"]
    assert [r.path for r in peer.requests] == ["/thanks"]
    assert step_rows(engine, handle.id)["paid"].status == "completed"


async def test_wait_condition_follows_timeout_when_it_never_holds(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    with RecordingHttpServer() as peer:
        data = {"url": peer.base_url, "invoice_status": "open"}
        run_id, result = await run_once(time_env, engine, awaiting_payment(), data, entity=ENTITY)
    assert result.path == ["paid", "chase", "thanks"]
    assert [r.path for r in peer.requests] == ["/chase", "/thanks"]
    assert step_rows(engine, run_id)["paid"].output == {"timed_out": True}


# --------------------------------------------------------------------------------- goals


async def test_goal_reached_during_a_wait_cancels_it_and_ends_the_run(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Nurture",
        "nodes": [
            {"id": "pause", "type": "wait", "duration": "3d"},
            call("nudge", "/nudge"),
            {"id": "converted", "type": "goal",
             "condition": {"field": "plan", "operator": "equals", "value": "paid"}},
        ],
        "edges": [{"from": "trigger", "to": "pause"}, {"from": "pause", "to": "nudge"}],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            data = {"url": peer.base_url, "plan": "trial"}
            handle = await start_run(
                time_env.client, worker, run_input(document, data, entity=ENTITY)
            )
            await step_waiting(engine, handle, "pause")
            await handle.signal("relay.event", event("contact.updated", {"plan": "paid"}))
            result = await handle.result()
    assert (result.status, result.path) == ("goal_reached", ["pause", "converted"])
    assert peer.requests == []
    steps = step_rows(engine, handle.id)
    assert steps["pause"].status == "cancelled"
    assert "nudge" not in steps
    assert (steps["converted"].status, steps["converted"].output) == (
        "completed",
        {"goal": "converted"},
    )
    row = run_row(engine, handle.id)
    assert row is not None and (row.status, row.goal) == ("goal_reached", "converted")


async def test_goal_reached_by_an_edge_counts_only_when_its_condition_holds(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Checkpoint",
        "steps": [
            call("first", "/first"),
            {"id": "booked", "type": "goal", "value": 10,
             "condition": {"field": "steps.first.output.json.booked", "operator": "equals",
                           "value": True}},
            call("after", "/after"),
        ],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        peer.script(200, {"booked": True})
        peer.script(200, {"booked": False})
        reached_id, reached = await run_once(time_env, engine, document, {"url": peer.base_url})
        missed_id, missed = await run_once(time_env, engine, document, {"url": peer.base_url})
    assert (reached.status, reached.path) == ("goal_reached", ["first", "booked", "after"])
    assert (missed.status, missed.path) == ("completed", ["first", "booked", "after"])
    assert step_rows(engine, reached_id)["booked"].output == {"goal": "booked", "value": 10}
    assert step_rows(engine, missed_id)["booked"].status == "skipped"
    assert run_row(engine, reached_id).goal == "booked"  # type: ignore[union-attr]
    assert run_row(engine, missed_id).goal is None  # type: ignore[union-attr]


async def test_a_goal_met_as_the_run_starts_is_reached_at_once(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Already there",
        "steps": [
            {"id": "booked", "type": "goal",
             "condition": {"field": "booked", "operator": "equals", "value": True}},
            call("after", "/after"),
        ],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        data = {"url": peer.base_url, "booked": True}
        run_id, result = await run_once(time_env, engine, document, data)
    assert (result.status, result.path) == ("goal_reached", ["booked", "after"])
    assert list(step_rows(engine, run_id)) == ["booked", "after"]
