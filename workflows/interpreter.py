"""The one interpreter workflow: walks a pinned definition graph, node by node.

It orchestrates and keeps the run's variables; conditions and templates are evaluated by
``definitions`` (pure, deterministic), side effects happen in activities. ``RelayRun`` holds the
run's state, the walk and the dispatch: each node goes to its type's handler in
``workflows.nodes.HANDLERS``, which sees the run through the ``workflows.nodes.base.Run``
protocol. Step bookkeeping is ``workflows.steps.StepLog``: step state reaches the database
through the action activities themselves and through local activities for the rest, so a run
costs the same server round trips as a hand-written workflow with the same actions.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributePair, TypedSearchAttributes
from temporalio.exceptions import ApplicationError

from definitions.context import build_context
from definitions.models import START, Definition, Node
from definitions.templates import template_context_clock
from workflows.contract import (
    EVENT_SIGNAL,
    FINISH_RUN,
    MIGRATE_SIGNAL,
    RUN_WORKFLOW,
    FinishRunInput,
    MigrateRequest,
    Resume,
    ResumedWait,
    RunInput,
    RunRef,
    RunResult,
)
from workflows.graph import Graph
from workflows.moves import Migrate, Mover
from workflows.nodes import HANDLERS
from workflows.nodes.base import (
    ContinueAsNew,
    GoalReached,
    Jump,
    Outcome,
    RunEnd,
    Scope,
    concerns,
    history_is_long,
    holds,
)
from workflows.nodes.goals import Goals
from workflows.nodes.trigger import complete_scheduled, open_scheduled_run, trigger_start, yearly
from workflows.nodes.waits import ANY_EVENT, watch
from workflows.policies import (
    REVISIT_BUDGET_PATCH,
    REVISITS_PER_TASK,
    VISIT_BUDGET_PATCH,
    VISITS_PER_RUN,
    VISITS_PER_TASK,
    WORKFLOW_TASK_TIMEOUT,
)
from workflows.search_attributes import VERSION
from workflows.steps import StepLog, expose, local_activity

PATH_KEPT = 1000
"""How many of the last visited nodes a run's result reports."""


# Unsandboxed on purpose. Every evaluation the interpreter makes happens in the pure modules of
# ``definitions``, and the workflow modules only orchestrate (time from workflow.now(), no I/O,
# no randomness but workflow.random()). Measured on the dev server, the sandbox's per-run cost
# made a Relay run ~20% slower than a hand-written workflow; the committed-history replay tests
# are the guard instead.
@workflow.defn(name=RUN_WORKFLOW, sandboxed=False)
class RelayRun:
    # The run's state, as node handlers see it (``workflows.nodes.base.Run``).
    ref: RunRef
    definition: Definition
    graph: Graph
    entity: str | None
    tenant: dict[str, Any] | None
    context: dict[str, Any]
    log: StepLog
    path: list[str]
    inbox: list[dict[str, Any]]
    entity_data: dict[str, Any]
    goals: Goals
    variant: str | None
    resume_loop: Resume | None
    resume_wait: ResumedWait | None
    moves: Mover
    watched: bool

    def __init__(self) -> None:
        # What a signal may touch before the run method has started.
        self.inbox = []
        self._seen: set[str] = set()
        self.goals = Goals()
        self.moves = Mover()
        self.context = {}
        self._started = False
        self._task_history = 0
        self._task_visits = 0
        self._task_nodes: set[str] = set()
        self._task_revisits = 0
        self._patches: frozenset[str] = frozenset()

    def patched(self, patch_id: str) -> bool:
        # A run started with the change needs no marker (nor the SDK's search-attribute
        # upsert that comes with one): ``workflows.policies.PATCHES``.
        return patch_id in self._patches or workflow.patched(patch_id)

    @workflow.signal(name=EVENT_SIGNAL)
    def on_event(self, event: dict[str, Any]) -> None:
        """An event for this run's entity: kept for ``wait_for_event``; its data becomes the
        entity's latest state for ``wait_condition`` and goals."""
        if event.get("id") in self._seen:
            return
        self._seen.add(str(event.get("id")))
        self.inbox.append(event)
        if self._started:
            self._absorb(event)

    @workflow.signal(name=MIGRATE_SIGNAL)
    async def on_migrate(self, request: MigrateRequest) -> None:
        """Move to another version at the next safe point (``workflows.moves``): at once when
        the run is waiting at a top-level wait; a refusal is recorded there and then."""
        if not self._started:
            self.moves.request = request
            return
        await self.moves.ask(self, request)
        await self.moves.consider(self)

    @workflow.run
    async def run(self, input: RunInput) -> RunResult:
        resume = input.resume
        started = self._begin(input)
        scheduled = complete_scheduled(input, started)
        self.context = build_context(
            input.trigger,
            workflow={
                "id": input.workflow_id,
                "name": input.workflow_name,
                "version": input.version,
            },
            run={"id": self.ref.run_id, "started_at": started.isoformat()},
            tenant=input.tenant,
        )
        if resume is not None:
            self._restore(resume)
        for event in list(self.inbox):  # signals that arrived with the first task
            self._absorb(event)
        if self.graph.goals and self.entity and (resume is None or resume.migrated_from):
            await watch(self, [ANY_EVENT])  # (a version moved to may have goals its old had not)
        if scheduled:
            await open_scheduled_run(self.ref, input.trigger)

        try:
            end = await self._main(resume)
        except ContinueAsNew as request:
            version, definition, attributes = input.version, input.definition, None
            if isinstance(request, Migrate):
                await self.moves.moved(self, request)  # with the steps queued
                version, definition = request.request.to_version, request.request.definition
                attributes = _tagged(version)
            else:
                await self.log.write_pending()  # the next execution starts with an empty queue
            workflow.continue_as_new(
                RunInput(
                    input.tenant_id, input.workflow_id, input.workflow_name, version,
                    definition, input.trigger, request.resume, input.tenant, input.patches,
                ),
                search_attributes=attributes,
                task_timeout=WORKFLOW_TASK_TIMEOUT,
            )  # fmt: skip
        except asyncio.CancelledError:
            # Cancelled (POST /v1/runs/{id}/cancel): the open steps recorded themselves
            # cancelled on the way out; the run's row ends cancelled before Temporal's does.
            workflow.set_current_details("Ended cancelled")
            await self._finish(RunEnd("cancelled"), started)
            raise
        await self.moves.ended(self)
        workflow.set_current_details(f"Ended {end.status}")
        if not (self.log.closed and end.status == "completed" and not self.log.pending):
            await self._finish(end, started)
        # The path's tail only: a long loop must not swell the result past payload limits.
        return RunResult(end.status, end.error, self.path[-PATH_KEPT:], self.context["vars"])

    def _begin(self, input: RunInput) -> datetime:
        """The run's state at its start; returns when it started."""
        info = workflow.info()
        self.definition = Definition.model_validate(input.definition)
        self.graph = Graph(self.definition)
        self._started = True
        started = workflow.now()
        self.ref = RunRef(
            input.tenant_id, info.workflow_id, input.workflow_id, input.version, started
        )
        self.entity = input.trigger.get("entity")
        self.tenant = input.tenant
        self._patches = frozenset(input.patches) if input.patches is not None else frozenset()
        self.log = StepLog(self.ref)
        self.path = []
        self.variant = None
        self.entity_data = {}
        self.resume_loop = None
        self.resume_wait = None
        self.watched = input.resume is not None
        return started

    async def _finish(self, end: RunEnd, started: datetime) -> None:
        """The run's end, with the steps still queued."""
        await local_activity(
            FINISH_RUN,
            FinishRunInput(
                self.ref,
                end.status,
                started,
                workflow.now(),
                self.log.take_pending(),
                end.error,
                self.watched,
            ),
        )

    async def _main(self, resume: Resume | None) -> RunEnd:
        scope = Scope(self.context)
        # START: the trigger's own leading wait first (``nodes.trigger``), then the flow.
        entry = resume.node_id if resume else START
        try:
            while True:
                if entry == START:
                    if (end := await trigger_start(self, scope)) is not None:
                        return end
                    entry = self.graph.successor(START, None)
                end = await self.walk(entry, scope)
                if end is not None or not yearly(self.definition):
                    break
                if history_is_long():  # a run cycling for years carries on afresh
                    raise ContinueAsNew(self.snapshot(START))
                entry = START
        except GoalReached:
            return await self.goals.reach(self, scope)
        return end or RunEnd("completed")

    # --- walking ------------------------------------------------------------------------------

    async def walk(self, entry: str | None, scope: Scope) -> RunEnd | None:
        """Run nodes from ``entry`` until the chain ends (None) or the run does (RunEnd)."""
        node_id = entry
        while node_id is not None:
            if scope.top and history_is_long():
                raise ContinueAsNew(self.snapshot(node_id))
            if scope.top:
                await self.moves.between(self, node_id)  # a move asked for: here, or refused
            node = self.graph.nodes[node_id]
            if (spinning := self._spinning(node, scope)) is not None:
                return spinning
            self.path.append(node.id)
            outcome = await self._execute(node, scope)
            self.goals.check(self)
            if self.goals.hit is not None:
                raise GoalReached()
            if isinstance(outcome, RunEnd):
                return outcome
            if isinstance(outcome, Jump):
                node_id = outcome.node_id
            else:
                node_id = self.graph.successor(node.id, outcome)
        return None

    def _spinning(self, node: Node, scope: Scope) -> RunEnd | None:
        """The run's failure when its walk has visited too many nodes without pausing (in this
        workflow task), the same step again too often (a cycle: the same node in the same loop
        iteration) or too many in all (``workflows.policies``)."""
        length = workflow.info().get_current_history_length()
        if length != self._task_history:  # a new workflow task: the walk paused
            self._task_history, self._task_visits, self._task_revisits = length, 0, 0
            self._task_nodes.clear()
        self._task_visits += 1
        key = node.id + scope.suffix  # a loop's iterations are different steps
        if key in self._task_nodes:
            self._task_revisits += 1
        self._task_nodes.add(key)
        within = self._task_visits <= VISITS_PER_TASK and self.log.seq <= VISITS_PER_RUN
        if within and self._task_revisits <= REVISITS_PER_TASK:
            return None
        # Each budget is checked behind the patch that introduced it: a run recorded before
        # replays as it ran. ``patched`` is asked only once a budget is exceeded.
        if not within and self.patched(VISIT_BUDGET_PATCH):
            if self._task_visits > VISITS_PER_TASK:
                detail = f"{VISITS_PER_TASK} nodes visited without pausing"
            else:
                detail = f"more than {VISITS_PER_RUN} steps in the run"
        elif self._task_revisits > REVISITS_PER_TASK and self.patched(REVISIT_BUDGET_PATCH):
            detail = f"{REVISITS_PER_TASK} nodes visited again without pausing"
        else:
            return None
        message = f"cycle without a pause at node {node.id!r}: {detail}"
        return RunEnd("failed", {"type": "cycle_without_pause", "message": message,
                                 "node_id": node.id})  # fmt: skip

    async def _execute(self, node: Node, scope: Scope) -> Outcome:
        scope.context.update(template_context_clock(workflow.now()))
        if node.when is not None and not holds(self, node.when, scope):
            self.log.record(node, scope, "skipped")
            scope.context["steps"][node.id] = {"status": "skipped", "output": None}
            return None
        # The Temporal UI's "current details": where the run is (``runs.temporal_ui``).
        workflow.set_current_details(f"At step `{node.id}` ({node.type})")
        handler = HANDLERS.get(node.type)
        if handler is None:
            raise ApplicationError(f"node type {node.type!r} is not supported", non_retryable=True)
        return await handler(self, node, scope)

    # --- events and continue-as-new -----------------------------------------------------------

    def _absorb(self, event: dict[str, Any]) -> None:
        """The event's data as the entity's latest state, then the goals re-checked."""
        if not concerns(self, event):
            return
        self.entity_data.update(event.get("data") or {})
        expose(self.context, event.get("data") or {})
        self.context["entity_event"] = event
        self.goals.check(self)

    def snapshot(self, node_id: str, index: int = 0, items: list[Any] | None = None) -> Resume:
        return Resume(
            node_id=node_id,
            steps=self.context["steps"],
            vars=self.context["vars"],
            seq=self.log.seq,
            entity_data=self.entity_data,
            seen_events=sorted(self._seen),
            loop_index=index,
            loop_items=items,
            variant=self.variant,
            visits=self.log.visits,
        )

    def _restore(self, resume: Resume) -> None:
        self.context["steps"].update(resume.steps)
        self.context["vars"].update(resume.vars)
        expose(self.context, resume.vars)
        expose(self.context, resume.entity_data)
        self.log.seq = resume.seq
        self.log.visits = dict(resume.visits)
        self._seen.update(resume.seen_events)
        self.variant = resume.variant
        self.entity_data = dict(resume.entity_data)
        if resume.loop_items is not None:
            self.resume_loop = resume
        self.resume_wait = resume.wait


def _tagged(version: int) -> TypedSearchAttributes | None:
    """The run's search attributes with ``RelayVersion`` the version it moves to — when it
    carries them (a run started on a server that knows them)."""
    current = workflow.info().typed_search_attributes
    if current.get(VERSION) is None:
        return None
    return current.updated(SearchAttributePair(VERSION, version))
