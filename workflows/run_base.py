"""State and bookkeeping shared by the interpreter's parts: steps, waits, failures.

``RunBase`` holds what a run knows (its context, graph, pending step records) and how it
records steps, waits interruptibly and handles a failed step; ``FlowNodes`` and ``RelayRun``
build on it. Nothing here talks to the outside but through (local) activities.
"""

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, ChildWorkflowError

with workflow.unsafe.imports_passed_through():
    from activities.inputs import RecordStepsInput, RunRef, StepRecord, WatchInput
    from definitions.conditions import evaluate_condition
    from definitions.context import RESERVED
    from definitions.errors import TemplateRenderError
    from definitions.models import Definition, Node
    from workflows.graph import Graph
    from workflows.inputs import Resume, RunEnd
    from workflows.policies import (
        CONTINUE_AS_NEW_AFTER_EVENTS,
        RECORD_STEPS_BATCH,
        RECORDING_RETRY,
        RECORDING_TIMEOUT,
    )


@dataclass(frozen=True)
class Jump:
    """Go to this node whatever the edges say (an ``on_error`` naming the error branch). Kept
    apart from labels, which may spell a node's id too (a switch case named like a node)."""

    node_id: str


Outcome = str | None | RunEnd | Jump
"""What a node returns: the label of the edge to follow, or a node to jump to, or the end."""


@dataclass
class Scope:
    """Where a walk runs: its variables, its step-key suffix, and whether it is the top level
    (the only place a run may continue-as-new)."""

    context: dict[str, Any]
    suffix: str = ""
    top: bool = True


class GoalReached(Exception):
    """Unwinds every walk in progress when a goal's condition starts to hold."""


class InstantPassed(TimeoutError):
    """The instant a wait counted to was moved, while it waited, to one already past."""


class WaitSkipped(Exception):
    """A wait whose instant moved into the past ended skipped (its ``if_past: skip``); the
    step is queued as skipped and the run ends ``skipped``."""


class ContinueAsNew(Exception):
    def __init__(self, resume: Resume) -> None:
        self.resume = resume


class RunBase:
    _definition: Definition
    _graph: Graph | None
    _ref: RunRef
    _context: dict[str, Any]
    _entity: str | None
    _inbox: list[dict[str, Any]]
    _seen: set[str]
    _entity_data: dict[str, Any]
    _pending: list[StepRecord]
    _path: list[str]
    _seq: int
    _visits: dict[str, int]
    _variant: str | None
    _goal_hit: str | None
    _goals_done: bool
    _resume_loop: Resume | None

    async def _walk(self, entry: str | None, scope: Scope) -> RunEnd | None:
        raise NotImplementedError

    async def _failed(
        self, node: Node, scope: Scope, step: StepRecord, error: dict[str, Any]
    ) -> Outcome:
        step.status, step.error, step.completed_at = "failed", error, workflow.now()
        scope.context["steps"][node.id] = {"status": "failed", "output": None, "error": error}
        # Recorded at once: the activity could not record its own failure (it may have timed out).
        await self._flush(step)
        policy = node.on_error or self._definition.settings.on_error
        if self._graph_().successor(node.id, "error") is not None:
            return "error"
        if policy == "stop":
            return RunEnd("failed", {"node_id": node.id, **error})
        if policy == "continue":
            return None
        return Jump(policy)  # an error-branch node id

    async def _cancelled(self, step: StepRecord) -> None:
        step.status, step.completed_at = "cancelled", workflow.now()
        # Shielded: the walk is being cancelled, but the record of it must still be written.
        await asyncio.shield(asyncio.ensure_future(self._flush(step)))

    async def _waiting(
        self,
        step: StepRecord,
        scope: Scope,
        ready: Callable[[], bool],
        timeout: timedelta | None,  # noqa: ASYNC109 - a workflow timer, not an I/O deadline
        watched: list[str] | None = None,
        deadline: Callable[[], datetime] | None = None,
        skip_past: bool = False,
    ) -> bool:
        """Mark the step (and run) waiting until ``ready()`` holds or ``timeout`` passes — or
        ``deadline()`` does, which may move while waiting; a goal reached meanwhile interrupts
        it. True when ``ready()`` held. With ``skip_past``, a deadline moved into the past
        raises WaitSkipped instead, the step queued as skipped."""
        await self._flush(step, run_status="waiting")
        skipped = False
        try:
            if deadline is None:
                await workflow.wait_condition(
                    lambda: ready() or self._goal_hit is not None, timeout=timeout
                )
            else:
                await self._until_deadline(step, ready, deadline)
            held = bool(ready())
        except InstantPassed:
            # Runs recorded before a move into the past followed ``if_past`` went on instead.
            held, skipped = False, skip_past and workflow.patched(PAST_MOVE_PATCH)
        except TimeoutError:
            held = False
        except asyncio.CancelledError:
            await self._cancelled(step)
            raise
        # Goals keep their watch on every event of the entity; the rest end with the wait.
        keep = {"*"} if self._graph_().goals and not self._goals_done else set()
        if unwatch := [kind for kind in watched or [] if kind not in keep]:
            await self._watch(unwatch, active=False)
        if self._goal_hit is not None:
            await self._cancelled(step)
            raise GoalReached()
        if skipped:
            step.status, step.completed_at = "skipped", workflow.now()
            step.output = {**(step.output or {}), "reason": "instant already passed"}
            self._pending.append(step)  # written with the run's end, as a skip at the start is
            raise WaitSkipped()
        step.status, step.completed_at = "completed", workflow.now()
        if not held and timeout is not None and watched:
            step.output = {**(step.output or {}), "timed_out": True}
        scope.context["steps"][step.node_id] = {"status": "completed", "output": step.output}
        await self._flush(step, run_status="running")
        return held

    async def _until_deadline(
        self, step: StepRecord, ready: Callable[[], bool], deadline: Callable[[], datetime]
    ) -> None:
        """Wait for ``ready()``, a goal, or ``deadline()`` (raising TimeoutError then); when the
        deadline moves, the step is recorded with its new output and the timer re-armed — or,
        moved to an instant already past, InstantPassed is raised."""
        moved = False
        while True:
            target = deadline()
            remaining = target - workflow.now()
            if remaining <= timedelta(0):
                raise InstantPassed() if moved else TimeoutError()
            moved = True  # any next turn of the loop follows a move
            try:
                await workflow.wait_condition(
                    lambda at=target: ready() or self._goal_hit is not None or deadline() != at,  # type: ignore[misc]
                    timeout=remaining,
                )
            except TimeoutError:
                if deadline() == target:
                    raise
            if ready() or self._goal_hit is not None:
                return
            await self._flush(step, run_status="waiting")  # moved: show the new instant

    async def _watch(self, event_types: list[str], active: bool = True) -> None:
        if self._entity:
            await self._local(
                "relay.watch", WatchInput(self._ref, self._entity, event_types, active)
            )

    async def _checkpoint(self) -> None:
        """Between a loop's iterations: write the queued steps once a batch has built up."""
        if len(self._pending) < RECORD_STEPS_BATCH:
            return
        await self._write_pending()
        # A local activity's marker only counts in the history length the workflow sees once a
        # new workflow task begins, and a loop of steps without activities never starts one:
        # this timer does, so the continue-as-new check sees the history such a loop builds.
        await workflow.sleep(timedelta(milliseconds=1))

    async def _write_pending(self) -> None:
        if self._pending:
            await self._local(
                "relay.record_steps", RecordStepsInput(self._ref, self._take_pending())
            )

    def _concerns(self, event: dict[str, Any]) -> bool:
        """Whether an event is about this run's entity. Events reach a run through its watches,
        which are per entity, but a signal may come from anywhere (a client, a misrouted
        redelivery): another record's state must never satisfy this run's waits or goals."""
        entity = event.get("entity")
        return self._entity is None or entity is None or entity == self._entity

    def _history_is_long(self) -> bool:
        info = workflow.info()
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() > CONTINUE_AS_NEW_AFTER_EVENTS
        )

    def _snapshot(self, node_id: str, index: int = 0, items: list[Any] | None = None) -> Resume:
        return Resume(
            node_id=node_id,
            steps=self._context["steps"],
            vars=self._context["vars"],
            seq=self._seq,
            entity_data=self._entity_data,
            seen_events=sorted(self._seen),
            loop_index=index,
            loop_items=items,
            variant=self._variant,
            visits=self._visits,
        )

    def _graph_(self) -> Graph:
        assert self._graph is not None
        return self._graph

    def _scope_top(self) -> Scope:
        return Scope(self._context)

    def _holds(self, condition: Any, scope: Scope) -> bool:
        return evaluate_condition(condition, scope.context, today=self._context["today"])

    def _step(self, node: Node, scope: Scope, status: str) -> StepRecord:
        """A new visit of ``node``. Its key — the root of its idempotency key — is unique in the
        run: a loop iteration adds ``[i]``, a second pass through a cycle adds ``#2``, so a
        weekly reminder is sent every week, not once."""
        self._seq += 1
        key = node.id + scope.suffix
        visits = self._visits[key] = self._visits.get(key, 0) + 1
        if visits > 1:
            key += f"#{visits}"
        return StepRecord(key, node.id, node.type, status, self._seq, started_at=workflow.now())

    def _record(self, node: Node, scope: Scope, status: str, output: Any = None) -> None:
        """Queue a step that needs no activity; it is written with the next database call."""
        step = self._step(node, scope, status)
        step.completed_at, step.output = step.started_at, output
        self._pending.append(step)

    def _done(self, node: Node, scope: Scope, output: Any) -> None:
        """A step that needed no activity completed: queued for recording, and its output kept."""
        self._record(node, scope, "completed", output)
        self._store(node, scope, output)

    def _store(self, node: Node, scope: Scope, output: Any) -> None:
        """``steps.<id>.output``, and the step's ``output`` variable when it names one."""
        scope.context["steps"][node.id] = {"status": "completed", "output": output}
        if node.output:
            scope.context["vars"][node.output] = output
            expose(scope.context, {node.output: output})

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


PAST_MOVE_PATCH = "relay-reschedule-past-if-past"
"""The patch id under which a wait moved into the past follows its ``if_past``; runs recorded
before it went on at once whatever ``if_past`` said."""


def expose(context: dict[str, Any], values: dict[str, Any]) -> None:
    """Variables at the top level too (``{{ invoices }}`` after an ``output: invoices``), unless
    the name is one the engine owns."""
    context.update({k: v for k, v in values.items() if k not in RESERVED})


def seconds(value: Any) -> timedelta | None:
    return None if value in (None, "") else timedelta(seconds=float(value))


def is_cancellation(exc: Exception) -> bool:
    """The activity or child run ended because this run is being cancelled."""
    return isinstance(exc, ActivityError | ChildWorkflowError) and isinstance(
        exc.cause, asyncio.CancelledError
    )


def permanent(kind: str, message: str) -> dict[str, Any]:
    return {"type": kind, "message": message, "retryable": False}


def error_of(exc: Exception) -> dict[str, Any]:
    """The error as the API shows it: type, message, whether retrying could have helped."""
    cause = exc.cause if isinstance(exc, ActivityError | ChildWorkflowError) else exc
    if isinstance(cause, ApplicationError):
        return {
            "type": cause.type or "ApplicationError",
            "message": cause.message,
            "retryable": not cause.non_retryable,
        }
    if isinstance(exc, TemplateRenderError):
        return {"type": "template_error", "message": str(exc), "retryable": False}
    return {"type": type(cause).__name__, "message": str(cause), "retryable": True}
