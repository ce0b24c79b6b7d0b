"""wait_for_event and wait_condition, with events signalled as the API routes them."""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

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
    assert time.monotonic() - began < 30  # the wait's 2 days were skipped, not waited
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
