"""``activity`` steps call a team's own activity on its own task queue: the example worker of
``examples/custom_activity`` against the test server, and a Relay run calling it."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from examples.custom_activity.worker import build_worker as payments_worker
from tests.helpers.db import steps_of
from tests.helpers.peers import RecordingHttpServer
from tests.helpers.temporal import relay_worker, run_input, start_run


async def run_with_payments(
    time_env: WorkflowEnvironment, engine: Engine, steps: list[dict[str, Any]],
    data: dict[str, Any],
) -> tuple[str, Any]:  # fmt: skip
    queue = f"payments-{uuid.uuid4().hex[:8]}"
    document = json_replace({"name": "Charge", "steps": steps}, "PAYMENTS", queue)
    async with (
        payments_worker(time_env.client, queue),
        relay_worker(time_env.client, engine) as worker,
    ):
        handle = await start_run(time_env.client, worker, run_input(document, data))
        result = await handle.result()
    return handle.id, result


def json_replace(value: Any, old: str, new: str) -> Any:
    if isinstance(value, dict):
        return {k: json_replace(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [json_replace(v, old, new) for v in value]
    return new if value == old else value


async def test_the_example_workers_activity_output_becomes_the_steps_output(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    steps = [
        {"id": "charge", "type": "activity", "name": "charge_card", "task_queue": "PAYMENTS",
         "input": {"customer": "{{ customer_id }}", "amount": "{{ amount }}"},
         "timeout": "30s", "retry": {"max_attempts": 2}, "output": "payment"},
        {"id": "receipt", "type": "http_request", "url": "{{ url }}",
         "body": {"charge": "{{ steps.charge.output.charge_id }}", "paid": "{{ payment.amount }}"}},
    ]  # fmt: skip
    with RecordingHttpServer() as peer:
        run_id, result = await run_with_payments(
            time_env, engine, steps, {"customer_id": "cus_1", "amount": 42, "url": peer.url()}
        )

    assert result.status == "completed"
    step = steps_of(engine, run_id)["charge"]
    assert (step.status, step.type) == ("completed", "activity")
    assert step.output["charge_id"].startswith("ch_")
    assert {k: step.output[k] for k in ("customer", "amount", "status")} == {
        "customer": "cus_1", "amount": 42.0, "status": "succeeded",
    }  # fmt: skip
    assert peer.requests[0].json == {"charge": step.output["charge_id"], "paid": 42.0}
    assert result.vars["payment"]["charge_id"] == step.output["charge_id"]


async def test_a_non_retryable_error_of_the_activity_fails_the_step_at_once(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    steps = [{"id": "charge", "type": "activity", "activity": "charge_card",
              "task_queue": "PAYMENTS", "input": {"amount": 0}, "on_error": "stop"}]  # fmt: skip

    run_id, result = await run_with_payments(time_env, engine, steps, {})

    assert result.status == "failed"
    assert steps_of(engine, run_id)["charge"].error == {
        "type": "invalid_amount",
        "message": "amount must be positive",
        "retryable": False,
    }


async def test_an_activity_on_relays_own_queue_needs_no_task_queue(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    # Any activity by name: here one of Relay's own, registered on the run's task queue.
    steps = [{"id": "lookup", "type": "activity", "name": "relay.load_definition",
              "input": {"tenant_id": "t_none", "workflow_id": "wf_none"}}]  # fmt: skip

    run_id, result = await run_with_payments(time_env, engine, steps, {})

    assert result.status == "completed"  # on_error: continue
    error = steps_of(engine, run_id)["lookup"].error
    assert error is not None and error["retryable"] is False
