"""``sub_workflow``: another definition of the tenant run as a child run, waited for."""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import ActivityError, ChildWorkflowError

from definitions.errors import TemplateRenderError
from definitions.models import Node
from definitions.templates import render
from workflows.contract import (
    LOAD_DEFINITION,
    RUN_WORKFLOW,
    LoadDefinitionInput,
    RunInput,
    RunResult,
    permanent,
)
from workflows.errors import error_of, is_cancellation
from workflows.nodes.base import Outcome, Run, Scope, failed
from workflows.policies import LOOKUP_RETRY, LOOKUP_TIMEOUT, PATCHES, WORKFLOW_TASK_TIMEOUT
from workflows.trigger_event import TriggerEvent


async def sub_workflow(run: Run, node: Node, scope: Scope) -> Outcome:
    """The child's id is this step's key under the run's id; its ``vars`` and status become
    the step's output, and a failed child fails the step."""
    step = run.log.step(node, scope, "running")
    config = node.config
    try:
        target = await workflow.execute_activity(
            LOAD_DEFINITION,
            LoadDefinitionInput(
                run.ref.tenant_id, str(config["workflow_id"]), config.get("version")
            ),
            start_to_close_timeout=LOOKUP_TIMEOUT,
            retry_policy=LOOKUP_RETRY,
            result_type=dict,
        )
        data = render(config.get("input") or {}, scope.context)
    except (ActivityError, TemplateRenderError) as exc:
        return await failed(run, node, scope, step, error_of(exc))
    child_id = f"{run.ref.run_id}.{step.step_key}"
    trigger = TriggerEvent(
        "sub_workflow", child_id, workflow.now().isoformat(), entity=run.entity, data=data
    ).as_dict()
    await run.log.flush(step)
    try:
        result: RunResult = await workflow.execute_child_workflow(
            RUN_WORKFLOW,
            RunInput(
                run.ref.tenant_id,
                target["workflow_id"],
                target["name"],
                target["version"],
                target["definition"],
                trigger,
                tenant=run.tenant,
                patches=list(PATCHES),
            ),  # fmt: skip
            id=child_id,
            task_timeout=WORKFLOW_TASK_TIMEOUT,
            # Started by name, so the result type must be named too (else it is a dict).
            result_type=RunResult,
        )
    except ChildWorkflowError as exc:
        if is_cancellation(exc):  # this run was cancelled, and the child with it
            await run.log.cancelled(step)
            raise asyncio.CancelledError() from exc
        return await failed(run, node, scope, step, error_of(exc))
    output = {"run_id": child_id, "status": result.status, "vars": result.vars}
    if result.status == "failed":
        message = f"run {child_id} ended {result.status}"
        return await failed(
            run, node, scope, step, error_of(permanent(message, "sub_workflow_failed"))
        )
    run.log.completed(node, scope, step, output)
    return None
