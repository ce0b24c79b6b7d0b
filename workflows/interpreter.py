"""The one interpreter workflow: walks a pinned definition graph, node by node.

It orchestrates and keeps the run's variables; conditions and templates are evaluated by
``definitions`` (pure, deterministic), side effects happen in activities. Step state reaches the
database through the action activities themselves and through local activities for the rest, so
a run costs the same server round trips as a hand-written workflow with the same actions.
"""

from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.inputs import (
        ActionInput,
        FinishRunInput,
        RecordStepsInput,
        RunRef,
        StepRecord,
    )
    from definitions.actions import prepare_action_config
    from definitions.conditions import evaluate_condition
    from definitions.context import build_context
    from definitions.durations import parse_duration, parse_instant
    from definitions.errors import DefinitionError, TemplateRenderError
    from definitions.models import ACTION_TYPES, START, Definition, Node
    from definitions.templates import render, template_context_clock
    from workflows.inputs import RunEnd, RunInput, RunResult
    from workflows.policies import RECORDING_RETRY, RECORDING_TIMEOUT, action_retry, action_timeout


# Unsandboxed on purpose. Every evaluation the interpreter makes happens in the pure modules of
# ``definitions`` — passed through the sandbox, so it never checked them — and this module only
# orchestrates (time from workflow.now(), no I/O, no randomness). Measured on the dev server,
# the sandbox's per-run cost for this module made a Relay run ~20% slower than a hand-written
# workflow; the committed-history replay tests are the guard instead.
@workflow.defn(name="RelayRun", sandboxed=False)
class RelayRun:
    @workflow.run
    async def run(self, input: RunInput) -> RunResult:
        info = workflow.info()
        self._definition = Definition.model_validate(input.definition)
        self._nodes = {node.id: node for node in self._definition.nodes}
        started = workflow.now()
        self._ref = RunRef(
            input.tenant_id, info.workflow_id, input.workflow_id, input.version, started
        )
        self._context = build_context(
            input.trigger,
            workflow={
                "id": input.workflow_id,
                "name": input.workflow_name,
                "version": input.version,
            },
            run={"id": info.workflow_id, "started_at": started.isoformat()},
        )
        self._pending: list[StepRecord] = []
        self._path: list[str] = []
        self._closed = False  # the last action recorded the run's completion itself

        end = RunEnd("completed")
        node_id = self._successor(START, None)
        while node_id is not None:
            node = self._nodes[node_id]
            self._path.append(node.id)
            outcome = await self._execute(node)
            if isinstance(outcome, RunEnd):
                end = outcome
                break
            node_id = outcome if outcome in self._nodes else self._successor(node.id, outcome)

        if not (self._closed and end.status == "completed" and not self._pending):
            await self._local(
                "relay.finish_run",
                FinishRunInput(
                    self._ref, end.status, started, workflow.now(), self._take_pending(), end.error
                ),
            )
        return RunResult(end.status, end.error, self._path)

    # --- nodes ----------------------------------------------------------------------------------

    async def _execute(self, node: Node) -> str | None | RunEnd:
        """Run one node; returns the label of the edge to follow (or a node id, or the end)."""
        self._context.update(template_context_clock(workflow.now()))
        if node.when is not None and not self._holds(node.when):
            self._record(node, "skipped")
            self._context["steps"][node.id] = {"status": "skipped", "output": None}
            return None
        if node.type in ACTION_TYPES:
            return await self._action(node)
        if node.type == "condition":
            result = self._holds(node.config["condition"])
            self._record(node, "completed", output={"result": result})
            self._context["steps"][node.id] = {"status": "completed", "output": result}
            return "true" if result else "false"
        if node.type == "wait":
            return await self._wait(node)
        if node.type == "stop":
            self._record(node, "completed")
            return RunEnd(str(node.config.get("status") or "completed"))
        raise ApplicationError(f"node type {node.type!r} is not supported", non_retryable=True)

    async def _action(self, node: Node) -> str | None | RunEnd:
        step = self._step(node, "running")
        policy, max_attempts = action_retry(node)
        last = self._is_last(node)
        try:
            config = prepare_action_config(node.type, node.config, self._context)
            output = await workflow.execute_activity(
                node.type,
                ActionInput(self._ref, step, config, max_attempts, self._take_pending(), last),
                start_to_close_timeout=action_timeout(node),
                retry_policy=policy,
                result_type=dict,
            )
        except (ActivityError, TemplateRenderError) as exc:
            return await self._failed(node, step, _error_of(exc))
        self._closed = last
        self._context["steps"][node.id] = {"status": "completed", "output": output}
        if node.output:
            self._context["vars"][node.output] = output
        return None

    async def _failed(
        self, node: Node, step: StepRecord, error: dict[str, Any]
    ) -> str | None | RunEnd:
        step.status, step.error, step.completed_at = "failed", error, workflow.now()
        self._context["steps"][node.id] = {"status": "failed", "output": None, "error": error}
        # Recorded at once: the activity could not record its own failure (it may have timed out).
        await self._flush(step)
        policy = node.on_error or self._definition.settings.on_error
        if self._successor(node.id, "error") is not None:
            return "error"
        if policy == "stop":
            return RunEnd("failed", {"node_id": node.id, **error})
        if policy == "continue":
            return None
        return policy  # an error-branch node id

    async def _wait(self, node: Node) -> str | None | RunEnd:
        config = node.config
        now = workflow.now()
        try:
            if config.get("until") not in (None, ""):
                instant = parse_instant(render(config["until"], self._context), "until")
                offset = config.get("offset")
                if offset not in (None, ""):
                    instant += parse_duration(render(offset, self._context), "offset")
                delay = instant - now
            else:
                delay = parse_duration(render(config.get("duration"), self._context), "duration")
        except (DefinitionError, TemplateRenderError) as exc:
            step = self._step(node, "running")
            return await self._failed(node, step, {"type": "invalid_wait", "message": str(exc)})
        if delay <= timedelta(0):
            if config.get("if_past") == "skip":
                self._record(node, "skipped", output={"reason": "instant already passed"})
                return RunEnd("skipped")
            self._record(node, "completed", output={"waited_seconds": 0})
            return None
        step = self._step(node, "waiting")
        step.output = {"until": (now + delay).isoformat()}
        await self._flush(step, run_status="waiting")
        await workflow.sleep(delay)
        step.status, step.completed_at = "completed", workflow.now()
        await self._flush(step, run_status="running")
        self._context["steps"][node.id] = {"status": "completed", "output": step.output}
        return None

    # --- helpers --------------------------------------------------------------------------------

    def _holds(self, condition: dict[str, Any]) -> bool:
        return evaluate_condition(condition, self._context, today=self._context["today"])

    def _successor(self, node_id: str, label: str | None) -> str | None:
        fallback = None
        for edge in self._definition.edges:
            if edge.source != node_id:
                continue
            if edge.when == label:
                return edge.target
            if edge.when is None and label != "error":
                fallback = edge.target
        return fallback

    def _is_last(self, node: Node) -> bool:
        """Nothing can follow ``node`` on success, so its activity may complete the run."""
        return not any(edge.source == node.id for edge in self._definition.edges)

    def _step(self, node: Node, status: str) -> StepRecord:
        return StepRecord(
            step_key=node.id,
            node_id=node.id,
            type=node.type,
            status=status,
            seq=len(self._path),
            started_at=workflow.now(),
        )

    def _record(self, node: Node, status: str, output: Any = None) -> None:
        """Queue a step that needs no activity; it is written with the next database call."""
        step = self._step(node, status)
        step.completed_at, step.output = step.started_at, output
        self._pending.append(step)

    def _take_pending(self) -> list[StepRecord]:
        pending, self._pending = self._pending, []
        return pending

    async def _flush(self, step: StepRecord, run_status: str | None = None) -> None:
        await self._local(
            "relay.record_steps",
            RecordStepsInput(self._ref, [*self._take_pending(), step], run_status),
        )

    async def _local(self, activity: str, arg: Any) -> None:
        await workflow.execute_local_activity(
            activity, arg, start_to_close_timeout=RECORDING_TIMEOUT, retry_policy=RECORDING_RETRY
        )


def _error_of(exc: Exception) -> dict[str, Any]:
    """The error as the API shows it: type, message, whether retrying could have helped."""
    cause = exc.cause if isinstance(exc, ActivityError) else exc
    if isinstance(cause, ApplicationError):
        return {
            "type": cause.type or "ApplicationError",
            "message": cause.message,
            "retryable": not cause.non_retryable,
        }
    if isinstance(exc, TemplateRenderError):
        return {"type": "template_error", "message": str(exc), "retryable": False}
    return {"type": type(cause).__name__, "message": str(cause), "retryable": True}
