"""Actions: each a call of the activity named as its node type, which records its own step; and
``activity``, a team's own activity called by name."""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, FailureError

from definitions.actions import prepare_action_config
from definitions.errors import TemplateRenderError
from definitions.models import Node
from definitions.templates import render
from workflows.contract import ActionInput
from workflows.errors import error_of, is_cancellation
from workflows.nodes.base import Outcome, Run, Scope, failed
from workflows.policies import (
    LOCAL_ACTIONS_PATCH,
    action_heartbeat,
    action_retry,
    action_timeout,
    runs_locally,
)


async def action(run: Run, node: Node, scope: Scope) -> Outcome:
    """The action's activity, given the steps queued so far to record with its own; when it
    is the run's last step, its success records the run's completion too. A short one runs
    as a local activity (``workflows.policies.runs_locally``)."""
    step = run.log.step(node, scope, "running")
    policy, max_attempts = action_retry(node)
    last = scope.top and run.graph.is_last(node.id)
    pending = run.log.take_pending()
    try:
        config = prepare_action_config(
            node.type, node.config, scope.context, step_name=node.name or node.id
        )
        input = ActionInput(run.ref, step, config, max_attempts, pending, last, run.watched)
        # Any JSON: most actions answer an object, query_records a list of records.
        output: Any
        if runs_locally(node) and run.patched(LOCAL_ACTIONS_PATCH):
            output = await workflow.execute_local_activity(
                node.type, input, start_to_close_timeout=action_timeout(node), retry_policy=policy
            )
        else:
            output = await workflow.execute_activity(
                node.type,
                input,
                start_to_close_timeout=action_timeout(node),
                heartbeat_timeout=action_heartbeat(node),
                retry_policy=policy,
            )
    except (FailureError, TemplateRenderError) as exc:
        # An activity's failure is an ActivityError around its cause; a local activity's is
        # the cause itself (an ApplicationError, a TimeoutError).
        if is_cancellation(exc):
            await run.log.cancelled(step)
            raise asyncio.CancelledError() from exc
        # The activity may have failed before writing the steps it carried: they go with
        # the failure's record (writing a step twice is harmless).
        run.log.pending[:0] = pending
        return await failed(run, node, scope, step, error_of(exc))
    except asyncio.CancelledError:
        await run.log.cancelled(step)
        raise
    run.log.closed = last
    run.log.store(node, scope, output)
    return None


async def custom_activity(run: Run, node: Node, scope: Scope) -> Outcome:
    """A team's own activity, called by name on its task queue (this run's by default) with
    the rendered ``input`` as its one argument; what it returns is the step's output."""
    step = run.log.step(node, scope, "running")
    policy, _ = action_retry(node)
    try:
        argument = render(node.config.get("input"), scope.context)
    except TemplateRenderError as exc:
        return await failed(run, node, scope, step, error_of(exc))
    await run.log.flush(step)
    try:
        output = await workflow.execute_activity(
            str(node.config.get("activity") or node.name),
            args=[] if argument is None else [argument],
            task_queue=node.config.get("task_queue") or None,
            start_to_close_timeout=action_timeout(node),
            retry_policy=policy,
        )
    except ActivityError as exc:
        if is_cancellation(exc):
            await run.log.cancelled(step)
            raise asyncio.CancelledError() from exc
        return await failed(run, node, scope, step, error_of(exc))
    except asyncio.CancelledError:
        await run.log.cancelled(step)
        raise
    run.log.completed(node, scope, step, output)
    return None
