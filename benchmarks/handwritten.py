"""The baseline: the benchmark's three actions as a hand-written Temporal workflow."""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.contract import ActionInput, RunRef, StepRecord


# The SDK's default is a sandboxed workflow; RELAY_BENCH_BASELINE_SANDBOX=0 compares with an
# unsandboxed one, as the interpreter runs.
SANDBOXED = os.environ.get("RELAY_BENCH_BASELINE_SANDBOX", "1") != "0"


@workflow.defn(name="HandWrittenThreeActions", sandboxed=SANDBOXED)
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
            # Same bookkeeping as a Relay run: the last action records the run's completion
            # (and, as the run never watched for events, drops no watches).
            last = index == len(steps) - 1
            await workflow.execute_activity(
                activity,
                ActionInput(ref, step, config, 5, finishes_run=last, watched=False),
                start_to_close_timeout=timedelta(seconds=60),
                retry_policy=policy,
                result_type=dict,
            )
        return "completed"
