"""A run that cycles for months: a fresh history now and then, one logical run throughout."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from tests.helpers.db import run_row, step_rows
from tests.helpers.peers import RecordingHttpServer
from tests.helpers.temporal import relay_worker, run_input, start_run
from tests.workflows.flow_helpers import execution_chain
from workflows.policies import WORKFLOW_TASK_TIMEOUT

MONTHLY_REMINDER = {
    "name": "Monthly reminder until paid, for a year",
    "nodes": [
        {"id": "count", "type": "set", "values": {"month": "{{ (vars.month or 0) + 1 }}"}},
        {"id": "remind", "type": "http_request", "url": "{{ url }}/remind",
         "body": {"month": "{{ vars.month }}"}},
        {"id": "month", "type": "wait", "duration": "P30D"},
        {"id": "again", "type": "condition",
         "condition": {"field": "vars.month", "operator": "lt", "value": 12}},
    ],
    "edges": [
        {"from": "trigger", "to": "count"},
        {"from": "count", "to": "remind"},
        {"from": "remind", "to": "month"},
        {"from": "month", "to": "again"},
        {"from": "again", "to": "count", "when": "true"},
    ],
}  # fmt: skip


async def test_a_year_of_monthly_cycles_sends_every_reminder_across_fresh_histories(
    time_env: WorkflowEnvironment, engine: Engine, monkeypatch: Any
) -> None:
    monkeypatch.setattr("workflows.nodes.base.CONTINUE_AS_NEW_AFTER_EVENTS", 40)
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            handle = await start_run(
                time_env.client, worker, run_input(MONTHLY_REMINDER, {"url": peer.base_url})
            )
            result = await handle.result()
            executions = await execution_chain(time_env.client, handle)
            latest = await time_env.client.get_workflow_handle(handle.id).fetch_history()
    assert result.status == "completed"
    assert len(executions) > 2, "a year of cycles should have continued as new"
    assert executions[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    started = latest.events[0].workflow_execution_started_event_attributes
    assert started.workflow_task_timeout.ToTimedelta() == WORKFLOW_TASK_TIMEOUT
    # Each pass is a step of its own, with its own idempotency key: twelve reminders arrive.
    assert [r.json for r in peer.requests] == [{"month": m} for m in range(1, 13)]
    assert len({r.headers["idempotency-key"] for r in peer.requests}) == 12
    keys = {step.step_key for step in step_rows(engine, handle.id)}
    assert {"remind", "remind#2", "remind#12", "month#12", "again#12"} <= keys
    assert run_row(engine, handle.id).status == "completed"  # type: ignore[union-attr]
