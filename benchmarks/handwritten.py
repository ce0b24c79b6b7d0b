"""The baseline: the benchmark's three actions as a hand-written Temporal workflow."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.inputs import ActionInput, RunRef, StepRecord


@workflow.defn(name="HandWrittenThreeActions")
class HandWrittenThreeActions:
    @workflow.run
    async def run(self, data: dict[str, Any]) -> str:
        ref = RunRef("bench", workflow.info().workflow_id, "handwritten", 1)
        policy = RetryPolicy(maximum_attempts=5, maximum_interval=timedelta(minutes=1))
        steps = [
            (
                "send_email",
                {"to": data["email"], "subject": f"Hi {data['name']}", "body": "Welcome"},
            ),
            ("send_sms", {"to": data["phone"], "body": f"Hi {data['name']}"}),
            (
                "http_request",
                {"url": data["url"], "method": "POST", "body": {"name": data["name"]}},
            ),
        ]
        for index, (activity, config) in enumerate(steps):
            step = StepRecord(f"s{index}", f"s{index}", activity, "running", seq=index)
            await workflow.execute_activity(
                activity,
                ActionInput(ref, step, config, 5),
                start_to_close_timeout=timedelta(seconds=60),
                retry_policy=policy,
                result_type=dict,
            )
        return "completed"
