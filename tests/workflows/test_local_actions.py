"""Short actions run as local activities, in the run's own workflow task: no activity task, no
second workflow task — and a local activity run again when its workflow task is retried sends
nothing twice (the claim on the key adopts the first delivery)."""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import (
    Interceptor,
    StartLocalActivityInput,
    WorkflowInboundInterceptor,
    WorkflowInterceptorClassInput,
    WorkflowOutboundInterceptor,
)
from temporalio.workflow import ActivityHandle

from activities.http import http_session
from tests.helpers.peers import RecordingHttpServer
from tests.helpers.temporal import loopback_actions, relay_worker, run_input, start_run
from tests.workflows.flow_helpers import step_rows
from worker.composition import build_worker
from workflows.contract import FINISH_RUN, RunResult
from workflows.interpreter import RelayRun
from workflows.policies import WORKFLOW_TASK_TIMEOUT


def _kinds(history: WorkflowHistory) -> dict[str, int]:
    """How many activity tasks, local activities and workflow tasks the history holds."""
    counts = {"activity_tasks": 0, "local_activities": 0, "workflow_tasks": 0}
    for event in history.events:
        if event.HasField("activity_task_scheduled_event_attributes"):
            counts["activity_tasks"] += 1
        elif event.HasField("marker_recorded_event_attributes"):
            name = event.marker_recorded_event_attributes.marker_name
            counts["local_activities"] += name == "core_local_activity"
        elif event.HasField("workflow_task_completed_event_attributes"):
            counts["workflow_tasks"] += 1
    return counts


async def test_a_short_http_call_runs_in_the_workflow_task_and_a_long_one_as_an_activity(
    dev_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Short and long",
        "steps": [
            {"id": "short", "type": "http_request", "url": "{{ url }}/short"},
            {"id": "long", "type": "http_request", "url": "{{ url }}/long", "timeout": "5m"},
            {"id": "done", "type": "set", "values": {"ok": True}},
        ],
    }
    with RecordingHttpServer() as peer:
        async with relay_worker(dev_env.client, engine) as worker:
            handle = await start_run(
                dev_env.client, worker, run_input(document, {"url": peer.base_url})
            )
            assert (await handle.result()).status == "completed"
        assert sorted(r.path for r in peer.requests) == ["/long", "/short"]
    steps = step_rows(engine, handle.id)
    assert {key: steps[key].status for key in ("short", "long", "done")} == dict.fromkeys(
        ("short", "long", "done"), "completed"
    )
    # The short call and the run's end as local activities, the long call an activity task
    # (whose result a second workflow task takes).
    kinds = _kinds(await handle.fetch_history())
    assert kinds == {"activity_tasks": 1, "local_activities": 2, "workflow_tasks": 2}


class _FailTaskOnceAfterTheCall(Interceptor):
    """Fails the run's first workflow task once its HTTP call has delivered: the task is
    retried, and the call — recorded nowhere in the history — runs again."""

    failed: set[str] = set()

    def workflow_interceptor_class(
        self, input: WorkflowInterceptorClassInput
    ) -> type[WorkflowInboundInterceptor]:
        failed = self.failed

        class Outbound(WorkflowOutboundInterceptor):
            def start_local_activity(self, input: StartLocalActivityInput) -> ActivityHandle[Any]:
                run_id = workflow.info().workflow_id
                if input.activity == FINISH_RUN and run_id not in failed:
                    failed.add(run_id)
                    raise RuntimeError("the workflow task fails after the call")
                return super().start_local_activity(input)

        class Inbound(WorkflowInboundInterceptor):
            def init(self, outbound: WorkflowOutboundInterceptor) -> None:
                super().init(Outbound(outbound))

        return Inbound


async def test_a_call_run_again_by_a_retried_workflow_task_is_not_sent_again(
    dev_env: WorkflowEnvironment, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="temporalio.activity")
    document = {
        "name": "Retried task",
        "steps": [
            {"id": "call", "type": "http_request", "url": "{{ url }}"},
            {"id": "done", "type": "set", "values": {"ok": True}},
        ],
    }
    interceptor = _FailTaskOnceAfterTheCall()
    with RecordingHttpServer() as peer:
        async with http_session() as http:
            queue = f"relay-test-{uuid.uuid4().hex[:8]}"
            worker = build_worker(
                dev_env.client, queue, engine, loopback_actions(engine, http),
                interceptors=[interceptor],
            )  # fmt: skip
            async with worker:
                handle = await dev_env.client.start_workflow(
                    RelayRun.run,
                    run_input(document, {"url": peer.base_url}),
                    id=f"run_{uuid.uuid4().hex[:12]}",
                    task_queue=queue,
                    result_type=RunResult,
                )
                result = await handle.result()
        keys = [request.headers["idempotency-key"] for request in peer.requests]
    assert handle.id in interceptor.failed  # the task did fail once, after the call
    # The retried task ran the call again, and the claim adopted the first delivery.
    assert "already delivered; not sending again" in caplog.text
    assert result.status == "completed"
    assert keys == [f"{handle.id}:call"]
    call = step_rows(engine, handle.id)["call"]
    assert call.status == "completed"
    assert call.output is not None and call.output["status"] == 200


async def test_a_local_call_longer_than_the_workflow_task_timeout_completes_in_one_attempt(
    dev_env: WorkflowEnvironment, engine: Engine
) -> None:
    # The SDK keeps the run's workflow task open across the call (it completes the task and
    # takes the next one at 4/5 of WORKFLOW_TASK_TIMEOUT), so no task times out mid-call.
    seconds = WORKFLOW_TASK_TIMEOUT.total_seconds() + 2
    document = {
        "name": "Slow receiver",
        "steps": [{"id": "call", "type": "http_request", "url": "{{ url }}", "timeout": "30s"}],
    }
    with RecordingHttpServer() as peer:
        peer.script(delay=seconds)
        async with relay_worker(dev_env.client, engine) as worker:
            handle = await start_run(
                dev_env.client, worker, run_input(document, {"url": peer.base_url})
            )
            assert (await handle.result()).status == "completed"
        assert len(peer.requests) == 1
    call = step_rows(engine, handle.id)["call"]
    assert (call.status, call.attempts) == ("completed", 1)
    history = await handle.fetch_history()
    kinds = [event.WhichOneof("attributes") for event in history.events]
    assert "workflow_task_timed_out_event_attributes" not in kinds
    # One call (the run's end recorded with it, as its last step), the task taken up once.
    assert _kinds(history) == {"activity_tasks": 0, "local_activities": 1, "workflow_tasks": 2}
