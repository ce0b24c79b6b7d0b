"""The one interpreter workflow: walks a pinned definition graph, node by node.

It orchestrates and keeps the run's variables; conditions and templates are evaluated by
``definitions`` (pure, deterministic), side effects happen in activities. Step state reaches the
database through the action activities themselves and through local activities for the rest, so
a run costs the same server round trips as a hand-written workflow with the same actions.

Sub-flows (a loop's body, a parallel branch) are walks of their own from an entry node until
the chain ends, in a ``Scope`` that carries their variables and the suffix that makes their step
keys — and so their idempotency keys — unique per iteration.
"""

import asyncio
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.inputs import (
        EVENT_SIGNAL,
        ActionInput,
        FinishRunInput,
        RunMarksInput,
        RunRef,
        StepRecord,
    )
    from definitions.actions import prepare_action_config
    from definitions.context import build_context
    from definitions.errors import TemplateRenderError
    from definitions.models import START, Definition, Node
    from definitions.nodes import ACTION_TYPES
    from definitions.templates import render, template_context_clock
    from workflows.graph import Graph
    from workflows.inputs import Resume, RunEnd, RunInput, RunResult
    from workflows.policies import action_retry, action_timeout
    from workflows.run_base import (
        ContinueAsNew,
        GoalReached,
        Jump,
        Outcome,
        Scope,
        error_of,
        expose,
        is_cancellation,
    )
    from workflows.trigger_start import TriggerStart


PATH_KEPT = 1000
"""How many of the last visited nodes a run's result reports."""


# Unsandboxed on purpose. Every evaluation the interpreter makes happens in the pure modules of
# ``definitions`` — passed through the sandbox, so it never checked them — and this module only
# orchestrates (time from workflow.now(), no I/O, no randomness but workflow.random()). Measured
# on the dev server, the sandbox's per-run cost for this module made a Relay run ~20% slower
# than a hand-written workflow; the committed-history replay tests are the guard instead.
@workflow.defn(name="RelayRun", sandboxed=False)
class RelayRun(TriggerStart):
    def __init__(self) -> None:
        # What a signal may touch before the run method has started.
        self._inbox = []
        self._seen = set()
        self._goal_hit = None
        self._context = {}
        self._graph = None

    @workflow.signal(name=EVENT_SIGNAL)
    def on_event(self, event: dict[str, Any]) -> None:
        """An event for this run's entity: kept for ``wait_for_event``; its data becomes the
        entity's latest state for ``wait_condition`` and goals."""
        if event.get("id") in self._seen:
            return
        self._seen.add(str(event.get("id")))
        self._inbox.append(event)
        if self._graph is not None:
            self._absorb(event)

    @workflow.run
    async def run(self, input: RunInput) -> RunResult:
        info = workflow.info()
        self._input = input
        self._definition = Definition.model_validate(input.definition)
        self._graph = Graph(self._definition)
        resume = input.resume
        started = workflow.now()
        self._ref = RunRef(
            input.tenant_id, info.workflow_id, input.workflow_id, input.version, started
        )
        self._entity: str | None = input.trigger.get("entity")
        scheduled = self._complete_scheduled(input, started)
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
        self._seq = 0
        self._visits: dict[str, int] = {}
        self._closed = False  # the last action recorded the run's completion itself
        self._variant: str | None = None
        self._entity_data: dict[str, Any] = {}
        self._goals_done = False
        self._resume_loop: Resume | None = None
        if resume is not None:
            self._restore(resume)
        for event in list(self._inbox):  # signals that arrived with the first task
            self._absorb(event)
        if self._graph.goals and self._entity and resume is None:
            await self._watch(["*"])
        if scheduled:
            await self._open_scheduled_run(input.trigger)

        try:
            end = await self._main(resume)
        except ContinueAsNew as request:
            await self._write_pending()  # the next execution starts with an empty queue
            workflow.continue_as_new(
                RunInput(
                    input.tenant_id, input.workflow_id, input.workflow_name, input.version,
                    input.definition, input.trigger, request.resume,
                )
            )  # fmt: skip
        except asyncio.CancelledError:
            # Cancelled (POST /v1/runs/{id}/cancel): the open steps recorded themselves
            # cancelled on the way out; the run's row ends cancelled before Temporal's does.
            await self._local(
                "relay.finish_run",
                FinishRunInput(
                    self._ref, "cancelled", started, workflow.now(), self._take_pending(), None
                ),
            )
            raise
        if not (self._closed and end.status == "completed" and not self._pending):
            await self._local(
                "relay.finish_run",
                FinishRunInput(
                    self._ref, end.status, started, workflow.now(), self._take_pending(), end.error
                ),
            )
        # The path's tail only: a long loop must not swell the result past payload limits.
        return RunResult(end.status, end.error, self._path[-PATH_KEPT:], self._context["vars"])

    async def _main(self, resume: Resume | None) -> RunEnd:
        scope = Scope(self._context)
        # START: the trigger's own leading wait first (``trigger_start``), then the flow.
        entry = resume.node_id if resume else START
        try:
            while True:
                if entry == START:
                    if (end := await self._trigger_start(scope)) is not None:
                        return end
                    entry = self._graph_().successor(START, None)
                end = await self._walk(entry, scope)
                if end is not None or not self._yearly():
                    break
                if self._history_is_long():  # a run cycling for years carries on afresh
                    raise ContinueAsNew(self._snapshot(START))
                entry = START
        except GoalReached:
            return await self._reach_goal(scope)
        return end or RunEnd("completed")

    # --- walking --------------------------------------------------------------------------------

    async def _walk(self, entry: str | None, scope: Scope) -> RunEnd | None:
        """Run nodes from ``entry`` until the chain ends (None) or the run does (RunEnd)."""
        graph = self._graph_()
        node_id = entry
        while node_id is not None:
            if scope.top and self._history_is_long():
                raise ContinueAsNew(self._snapshot(node_id))
            node = graph.nodes[node_id]
            self._path.append(node.id)
            outcome = await self._execute(node, scope)
            self._check_goals()
            if self._goal_hit is not None:
                raise GoalReached()
            if isinstance(outcome, RunEnd):
                return outcome
            if isinstance(outcome, Jump):
                node_id = outcome.node_id
            else:
                node_id = graph.successor(node.id, outcome)
        return None

    async def _execute(self, node: Node, scope: Scope) -> Outcome:
        scope.context.update(template_context_clock(workflow.now()))
        if node.when is not None and not self._holds(node.when, scope):
            self._record(node, scope, "skipped")
            scope.context["steps"][node.id] = {"status": "skipped", "output": None}
            return None
        if node.type == "activity":
            return await self._custom_activity(node, scope)
        if node.type in ACTION_TYPES:
            return await self._action(node, scope)
        handler = getattr(self, f"_node_{node.type}", None)
        if handler is None:
            raise ApplicationError(f"node type {node.type!r} is not supported", non_retryable=True)
        outcome: Outcome = await handler(node, scope)
        return outcome

    async def _action(self, node: Node, scope: Scope) -> Outcome:
        step = self._step(node, scope, "running")
        policy, max_attempts = action_retry(node)
        last = scope.top and self._graph_().is_last(node.id)
        pending = self._take_pending()
        try:
            config = prepare_action_config(
                node.type, node.config, scope.context, step_name=node.name or node.id
            )
            output = await workflow.execute_activity(
                node.type,
                ActionInput(self._ref, step, config, max_attempts, pending, last),
                start_to_close_timeout=action_timeout(node),
                retry_policy=policy,
                # Any JSON: most actions answer an object, query_records a list of records.
            )
        except (ActivityError, TemplateRenderError) as exc:
            if is_cancellation(exc):
                await self._cancelled(step)
                raise asyncio.CancelledError() from exc
            # The activity may have failed before writing the steps it carried: they go with
            # the failure's record (writing a step twice is harmless).
            self._pending[:0] = pending
            return await self._failed(node, scope, step, error_of(exc))
        except asyncio.CancelledError:
            await self._cancelled(step)
            raise
        self._closed = last
        self._store(node, scope, output)
        return None

    async def _custom_activity(self, node: Node, scope: Scope) -> Outcome:
        """A team's own activity, called by name on its task queue (this run's by default) with
        the rendered ``input`` as its one argument; what it returns is the step's output."""
        step = self._step(node, scope, "running")
        policy, _ = action_retry(node)
        try:
            argument = render(node.config.get("input"), scope.context)
        except TemplateRenderError as exc:
            return await self._failed(node, scope, step, error_of(exc))
        await self._flush(step)
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
                await self._cancelled(step)
                raise asyncio.CancelledError() from exc
            return await self._failed(node, scope, step, error_of(exc))
        except asyncio.CancelledError:
            await self._cancelled(step)
            raise
        step.status, step.completed_at, step.output = "completed", workflow.now(), output
        self._pending.append(step)
        self._store(node, scope, output)
        return None

    # --- events and goals -----------------------------------------------------------------------

    def _absorb(self, event: dict[str, Any]) -> None:
        """The event's data as the entity's latest state, then the goals re-checked."""
        if not self._concerns(event):
            return
        self._entity_data.update(event.get("data") or {})
        expose(self._context, event.get("data") or {})
        self._context["entity_event"] = event
        self._check_goals()

    def _check_goals(self) -> None:
        if self._goal_hit is not None or self._goals_done or not self._graph_().goals:
            return
        scope = self._scope_top()
        for goal in self._graph_().goals:
            if self._holds(goal.config["condition"], scope):
                self._goal_hit = goal.id
                return

    async def _reach_goal(self, scope: Scope) -> RunEnd:
        goal = self._graph_().nodes[str(self._goal_hit)]
        if self._path[-1:] != [goal.id]:  # reached by its edge, the walk put it there already
            self._path.append(goal.id)
        value = goal.config.get("value")
        self._done(goal, scope, {"goal": goal.id} | ({"value": value} if value is not None else {}))
        await self._local("relay.record_run_marks", RunMarksInput(self._ref, goal=goal.id))
        # Reached once: what follows the goal node runs without goals re-triggering.
        self._goal_hit, self._goals_done = None, True
        end = await self._walk(self._graph_().successor(goal.id, None), scope)
        return end or RunEnd("goal_reached")

    def _restore(self, resume: Resume) -> None:
        self._context["steps"].update(resume.steps)
        self._context["vars"].update(resume.vars)
        expose(self._context, resume.vars)
        expose(self._context, resume.entity_data)
        self._seq = resume.seq
        self._visits = dict(resume.visits)
        self._seen.update(resume.seen_events)
        self._variant = resume.variant
        self._entity_data = dict(resume.entity_data)
        if resume.loop_items is not None:
            self._resume_loop = resume
