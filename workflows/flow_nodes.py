"""The flow nodes of SPEC §2.4: branches, loops, parallel branches, waits, goals, sub-runs."""

import asyncio
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from activities.inputs import LoadDefinitionInput, RunMarksInput, StepRecord
    from definitions.conditions import evaluate_condition
    from definitions.context import RESERVED, event_context
    from definitions.durations import parse_duration, parse_instant
    from definitions.errors import DefinitionError, TemplateRenderError
    from definitions.models import Node
    from definitions.templates import render
    from workflows.inputs import RunEnd, RunInput, RunResult
    from workflows.policies import LOOKUP_RETRY, LOOKUP_TIMEOUT
    from workflows.run_base import (
        ContinueAsNew,
        GoalReached,
        Outcome,
        RunBase,
        Scope,
        WaitSkipped,
        error_of,
        expose,
        is_cancellation,
        permanent,
        seconds,
    )


class FlowNodes(RunBase):
    """One ``_node_<type>`` handler per flow node type; each returns the edge label to follow."""

    async def _node_condition(self, node: Node, scope: Scope) -> Outcome:
        result = self._holds(node.config["condition"], scope)
        self._done(node, scope, {"result": result})
        return "true" if result else "false"

    async def _node_switch(self, node: Node, scope: Scope) -> Outcome:
        config = node.config
        value = render(config["value"], scope.context) if "value" in config else None
        for case in config.get("cases", []):
            if "equals" in case:
                matched = str(value) == str(render(case["equals"], scope.context))
            else:
                matched = self._holds(case.get("when"), scope)
            if matched:
                self._done(node, scope, {"case": case["name"]})
                return str(case["name"])
        self._done(node, scope, {"case": "default"})
        return "default"

    async def _node_split(self, node: Node, scope: Scope) -> Outcome:
        variants = node.config["variants"]
        point = workflow.random().uniform(0, sum(float(v["weight"]) for v in variants))
        chosen = variants[-1]["name"]
        for variant in variants:
            point -= float(variant["weight"])
            if point < 0:
                chosen = variant["name"]
                break
        self._done(node, scope, {"variant": chosen})
        if self._variant is None:
            self._variant = chosen
            await self._local("relay.record_run_marks", RunMarksInput(self._ref, variant=chosen))
        return str(chosen)

    async def _node_set(self, node: Node, scope: Scope) -> Outcome:
        try:
            values = render(node.config.get("values") or {}, scope.context)
        except TemplateRenderError as exc:
            step = self._step(node, scope, "running")
            return await self._failed(node, scope, step, error_of(exc))
        scope.context["vars"].update(values)
        expose(scope.context, values)
        self._done(node, scope, values)
        return None

    async def _node_stop(self, node: Node, scope: Scope) -> Outcome:
        self._done(node, scope, None)
        return RunEnd(str(node.config.get("status") or "completed"))

    async def _node_goal(self, node: Node, scope: Scope) -> Outcome:
        """Reached by an edge: the goal counts if its condition holds, else the walk goes on."""
        if not self._goals_done and self._holds(node.config["condition"], self._scope_top()):
            self._goal_hit = node.id
            raise GoalReached()
        self._record(node, scope, "skipped", {"reason": "goal not met"})
        return None

    async def _node_wait(self, node: Node, scope: Scope) -> Outcome:
        config = node.config
        now = workflow.now()
        try:
            if config.get("until") not in (None, ""):
                delay = _instant(config, scope.context) - now
            else:
                delay = parse_duration(render(config.get("duration"), scope.context), "duration")
        except (DefinitionError, TemplateRenderError) as exc:
            step = self._step(node, scope, "running")
            return await self._failed(node, scope, step, permanent("invalid_wait", str(exc)))
        if delay <= timedelta(0):
            if config.get("if_past") == "skip":
                self._record(node, scope, "skipped", {"reason": "instant already passed"})
                return RunEnd("skipped")
            self._done(node, scope, {"waited_seconds": 0})
            return None
        step = self._step(node, scope, "waiting")
        step.output = {"until": (now + delay).isoformat()}
        if self._reschedulable(node):
            return await self._rearming_wait(node, scope, step, now + delay)
        await self._waiting(step, scope, lambda: False, delay)
        return None

    # --- reschedule-aware waits -----------------------------------------------------------------

    def _reschedulable(self, node: Node) -> bool:
        """Whether an ``until`` wait follows its instant when the entity's events move it (a
        meeting rescheduled): a templated instant, a run about an entity, not turned off with
        ``reschedule_on: false``. Gated so that runs recorded before it replay unchanged."""
        until, kinds = node.config.get("until"), node.config.get("reschedule_on")
        if not (self._entity and isinstance(until, str) and "{{" in until):
            return False
        if kinds is False or kinds == []:
            return False
        return workflow.patched(RESCHEDULE_PATCH)

    async def _rearming_wait(
        self, node: Node, scope: Scope, step: StepRecord, at: datetime
    ) -> RunEnd | None:
        """Wait until ``at``; each event of the entity (of ``reschedule_on``'s types, default
        any) that gives the ``until`` template another instant moves the wait there. Moved to
        an instant already past, it follows ``if_past``: on at once, or the run ends skipped."""
        kinds = list(node.config.get("reschedule_on") or [ANY_EVENT])
        await self._watch(kinds)
        seen, target, original = len(self._inbox), at, at

        def deadline() -> datetime:
            nonlocal seen, target
            news = [e for e in self._inbox[seen:] if self._concerns(e)]
            seen = len(self._inbox)
            if any(ANY_EVENT in kinds or e.get("type") in kinds for e in news):
                # The entity's latest state (every event's data, in order) renders the instant.
                target = _moved(node.config, scope.context, self._entity_data) or target
                step.output = {"until": target.isoformat()}
                if target != original:
                    step.output |= {"rescheduled_from": original.isoformat(),
                                    "rescheduled_to": target.isoformat()}  # fmt: skip
            return target

        skip_past = node.config.get("if_past") == "skip"
        try:
            await self._waiting(
                step, scope, lambda: False, None, watched=kinds, deadline=deadline,
                skip_past=skip_past,
            )  # fmt: skip
        except WaitSkipped:
            return RunEnd("skipped")
        return None

    async def _node_wait_for_event(self, node: Node, scope: Scope) -> Outcome:
        config = node.config
        start = len(self._inbox)
        step = self._step(node, scope, "waiting")
        step.output = {"event": config["event"]}
        await self._watch([config["event"]])

        def arrived() -> bool:
            event = next((e for e in self._inbox[start:] if self._awaited(node, e, scope)), None)
            if event is not None:
                step.output = event  # the event becomes steps.<id>.output
            return event is not None

        timeout = seconds(config.get("timeout"))
        received = await self._waiting(step, scope, arrived, timeout, watched=[config["event"]])
        return "received" if received else "timeout"

    async def _node_wait_condition(self, node: Node, scope: Scope) -> Outcome:
        condition = node.config["condition"]
        if self._holds(condition, scope):
            self._done(node, scope, {"held": True})
            return None
        step = self._step(node, scope, "waiting")
        await self._watch(["*"])
        timeout = seconds(node.config.get("timeout"))
        held = await self._waiting(
            step, scope, lambda: self._holds(condition, scope), timeout, watched=["*"]
        )
        return None if held else "timeout"

    async def _node_for_each(self, node: Node, scope: Scope) -> Outcome:
        config = node.config
        resume, self._resume_loop = self._resume_loop, None  # set when continuing-as-new here
        items = resume.loop_items if resume is not None else None
        if items is None:
            try:
                items = render(config["items"], scope.context)
            except TemplateRenderError as exc:
                step = self._step(node, scope, "running")
                return await self._failed(node, scope, step, error_of(exc))
        if not isinstance(items, list):
            step = self._step(node, scope, "running")
            message = f"items must be a list, not {type(items).__name__}"
            return await self._failed(node, scope, step, permanent("invalid_items", message))
        body = self._graph_().successor(node.id, "body")
        name = str(config.get("as") or "item")
        concurrency = max(1, int(config.get("concurrency") or 1))
        first = resume.loop_index if resume is not None else 0
        # Iterations run in windows; between windows, at the top level, the run may
        # continue-as-new, carrying the items and the position.
        window = 1 if concurrency == 1 else concurrency * 10
        for begin in range(first, len(items), window):
            if begin > first:
                await self._checkpoint()
            if scope.top and begin > first and self._history_is_long():
                raise ContinueAsNew(self._snapshot(node.id, begin, items))
            indexes = range(begin, min(len(items), begin + window))
            end = await self._iterations(body, scope, name, items, indexes, concurrency)
            if end is not None:
                return end
        self._done(node, scope, {"count": len(items)})
        return None

    async def _iterations(
        self, body: str | None, scope: Scope, name: str, items: list[Any], window: range,
        concurrency: int,
    ) -> RunEnd | None:  # fmt: skip
        limit = asyncio.Semaphore(concurrency)

        async def one(index: int) -> RunEnd | None:
            async with limit:
                context = {**scope.context, "steps": dict(scope.context["steps"])}
                context[name] = items[index]
                context["loop"] = {
                    "index": index,
                    "first": index == 0,
                    "last": index == len(items) - 1,
                    "length": len(items),
                }
                return await self._walk(body, Scope(context, f"{scope.suffix}[{index}]", top=False))

        if concurrency == 1:
            for index in window:
                if (end := await one(index)) is not None:
                    return end
            return None
        ends = await asyncio.gather(*(one(index) for index in window))
        return next((end for end in ends if end is not None), None)

    async def _node_parallel(self, node: Node, scope: Scope) -> Outcome:
        entries = self._graph_().targets(node.id, "branch")
        branches = [
            asyncio.ensure_future(self._walk(entry, Scope(scope.context, scope.suffix, top=False)))
            for entry in entries
        ]
        if node.config.get("join") == "any":
            done, pending = await workflow.wait(branches, return_when=asyncio.FIRST_COMPLETED)
            for branch in pending:
                branch.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            ends = [branch.result() for branch in done]
        else:
            ends = list(await asyncio.gather(*branches))
        self._done(node, scope, {"branches": len(entries), "join": node.config.get("join", "all")})
        return next((end for end in ends if end is not None), None)

    async def _node_sub_workflow(self, node: Node, scope: Scope) -> Outcome:
        step = self._step(node, scope, "running")
        config = node.config
        try:
            target = await workflow.execute_activity(
                "relay.load_definition",
                LoadDefinitionInput(
                    self._ref.tenant_id, str(config["workflow_id"]), config.get("version")
                ),  # fmt: skip
                start_to_close_timeout=LOOKUP_TIMEOUT,
                retry_policy=LOOKUP_RETRY,
                result_type=dict,
            )
            data = render(config.get("input") or {}, scope.context)
        except (ActivityError, TemplateRenderError) as exc:
            return await self._failed(node, scope, step, error_of(exc))
        child_id = f"{self._ref.run_id}.{step.step_key}"
        trigger = {
            "type": "sub_workflow", "id": child_id, "occurred_at": workflow.now().isoformat(),
            "entity": self._entity, "data": data,
            "previous": None,
        }  # fmt: skip
        await self._flush(step)
        try:
            result: RunResult = await workflow.execute_child_workflow(
                "RelayRun",
                RunInput(
                    self._ref.tenant_id,
                    target["workflow_id"],
                    target["name"],
                    target["version"],
                    target["definition"],
                    trigger,
                ),  # fmt: skip
                id=child_id,
                # Started by name, so the result type must be named too (else it is a dict).
                result_type=RunResult,
            )
        except ChildWorkflowError as exc:
            if is_cancellation(exc):  # this run was cancelled, and the child with it
                await self._cancelled(step)
                raise asyncio.CancelledError() from exc
            return await self._failed(node, scope, step, error_of(exc))
        output = {"run_id": child_id, "status": result.status, "vars": result.vars}
        if result.status == "failed":
            failure = permanent("sub_workflow_failed", f"run {child_id} ended {result.status}")
            return await self._failed(node, scope, step, failure)
        step.status, step.completed_at, step.output = "completed", workflow.now(), output
        self._pending.append(step)
        self._store(node, scope, output)
        return None

    def _awaited(self, node: Node, event: dict[str, Any], scope: Scope) -> bool:
        if event.get("type") != node.config["event"] or not self._concerns(event):
            return False
        condition = node.config.get("condition")
        if condition is None:
            return True
        # The run's own context, with the event's data and the event itself on top.
        data = {k: v for k, v in (event.get("data") or {}).items() if k not in RESERVED}
        context = {**scope.context, **data, "event": event_context(event)["event"]}
        return evaluate_condition(condition, context, today=scope.context["today"])


ANY_EVENT = "*"
"""A watch for every event type about the entity (as ``storage.watches.ANY_EVENT``)."""
RESCHEDULE_PATCH = "relay-reschedule-aware-waits"
"""The patch id of reschedule-aware waits: runs recorded before them wait as they did."""


def _instant(config: dict[str, Any], context: dict[str, Any]) -> datetime:
    """A wait's ``until`` ± ``offset``, rendered in ``context``."""
    instant = parse_instant(render(config["until"], context), "until")
    offset = config.get("offset")
    if offset not in (None, ""):
        instant += parse_duration(render(offset, context), "offset")
    return instant


def _moved(
    config: dict[str, Any], context: dict[str, Any], entity_data: dict[str, Any]
) -> datetime | None:
    """The wait's instant with the entity's latest data over the trigger's (at top level and
    as ``event.data``); None when that renders to no instant."""
    data = {k: v for k, v in entity_data.items() if k not in RESERVED}
    trigger = context.get("event") or {}
    merged = {**trigger, "data": {**(trigger.get("data") or {}), **data}}
    try:
        return _instant(config, {**context, **data, "event": merged})
    except (DefinitionError, TemplateRenderError):
        return None
