"""Waits: ``wait`` (a duration, or until an instant that may move), ``wait_for_event`` and
``wait_condition`` — and the waiting they share: the step and run marked waiting, a timer or
a condition on the entity's events, a goal interrupting it, the watches that route events here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow

from definitions.conditions import evaluate_condition
from definitions.context import RESERVED, event_context
from definitions.durations import parse_duration, parse_instant
from definitions.errors import DefinitionError, TemplateRenderError
from definitions.models import Node
from definitions.templates import render
from workflows.contract import WATCH, ResumedWait, StepRecord, WatchInput, permanent
from workflows.errors import error_of
from workflows.nodes.base import (
    GoalReached,
    Outcome,
    Run,
    RunEnd,
    Scope,
    concerns,
    failed,
    holds,
    seconds,
)
from workflows.policies import (
    PAST_MOVE_PATCH,
    REAIM_BEFORE,
    REAIMED_WAITS_PATCH,
    RESCHEDULE_PATCH,
)
from workflows.steps import local_activity

ANY_EVENT = "*"
"""A watch for every event type about the entity (as ``storage.watches.ANY_EVENT``)."""


class InstantPassed(TimeoutError):
    """The instant a wait counted to was moved, while it waited, to one already past."""


class WaitSkipped(Exception):
    """A wait whose instant moved into the past ended skipped (its ``if_past: skip``); the
    step is queued as skipped and the run ends ``skipped``."""


# --- the node types ---------------------------------------------------------------------------


async def wait(run: Run, node: Node, scope: Scope) -> Outcome:
    config = node.config
    now = workflow.now()
    resumed = _resumed(run, node, scope)
    # A wait a run moved here with goes on from when it began (``workflows.moves``).
    origin = resumed.started_at if resumed else now
    try:
        if resumed and resumed.until:
            until = resumed.until
            if config.get("until") not in (None, "") and _reschedulable(run, node):
                # The entity's events may have moved the instant while the run moved.
                until = _moved(config, scope.context, run.entity_data) or until
            delay = until - now
        elif config.get("until") not in (None, ""):
            delay = _instant(config, scope.context) - now
        else:
            duration = parse_duration(render(config.get("duration"), scope.context), "duration")
            delay = origin + duration - now
    except (DefinitionError, TemplateRenderError) as exc:
        step = run.log.step(node, scope, "running")
        error = error_of(permanent(str(exc), "invalid_wait"))
        return await failed(run, node, scope, step, error)
    if delay <= timedelta(0):
        if config.get("if_past") == "skip" and resumed is None:
            run.log.record(node, scope, "skipped", {"reason": "instant already passed"})
            return RunEnd("skipped")
        waited = (now - origin).total_seconds() if resumed else 0
        run.log.done(node, scope, {"waited_seconds": waited})
        return None
    step = run.log.step(node, scope, "waiting")
    step.started_at = origin
    at = now + delay
    step.output = {"until": at.isoformat()}
    if _reschedulable(run, node):
        return await _rearming_wait(run, node, scope, step, at)
    await waiting(run, step, scope, lambda: False, None, until=at)
    return None


async def wait_for_event(run: Run, node: Node, scope: Scope) -> Outcome:
    config = node.config
    start = len(run.inbox)
    resumed = _resumed(run, node, scope)
    step = run.log.step(node, scope, "waiting")
    step.started_at = resumed.started_at if resumed else step.started_at
    step.output = {"event": config["event"]}
    await watch(run, [config["event"]])

    def arrived() -> bool:
        event = next((e for e in run.inbox[start:] if _awaited(run, node, e, scope)), None)
        if event is not None:
            step.output = event  # the event becomes steps.<id>.output
        return event is not None

    timeout = _remaining(resumed, seconds(config.get("timeout")))
    received = await waiting(run, step, scope, arrived, timeout, watched=[config["event"]])
    return "received" if received else "timeout"


async def wait_condition(run: Run, node: Node, scope: Scope) -> Outcome:
    condition = node.config["condition"]
    resumed = _resumed(run, node, scope)
    if holds(run, condition, scope):
        run.log.done(node, scope, {"held": True})
        return None
    step = run.log.step(node, scope, "waiting")
    step.started_at = resumed.started_at if resumed else step.started_at
    await watch(run, [ANY_EVENT])
    timeout = _remaining(resumed, seconds(node.config.get("timeout")))
    held = await waiting(
        run, step, scope, lambda: holds(run, condition, scope), timeout, watched=[ANY_EVENT]
    )
    return None if held else "timeout"


# --- waiting ----------------------------------------------------------------------------------


async def watch(run: Run, event_types: list[str], active: bool = True) -> None:
    """Start (or stop) routing the entity's events of ``event_types`` to this run."""
    if run.entity:
        run.watched = run.watched or active
        await local_activity(WATCH, WatchInput(run.ref, run.entity, event_types, active))


async def waiting(
    run: Run,
    step: StepRecord,
    scope: Scope,
    ready: Callable[[], bool],
    timeout: timedelta | None,  # noqa: ASYNC109 - a workflow timer, not an I/O deadline
    watched: list[str] | None = None,
    deadline: Callable[[], datetime] | None = None,
    skip_past: bool = False,
    until: datetime | None = None,
) -> bool:
    """Mark the step (and run) waiting until ``ready()`` holds or ``timeout`` passes — or
    the instant ``until`` comes, or ``deadline()`` does, which may move while waiting; a
    goal reached meanwhile interrupts it. True when ``ready()`` held. With ``skip_past``, a
    deadline moved into the past raises WaitSkipped instead, the step queued as skipped."""
    await run.log.flush(step, run_status="waiting")
    if scope.top:  # a top-level wait is a safe point to move to another version at
        run.moves.waiting = step
        await run.moves.consider(run)

    def interrupted() -> bool:
        return run.goals.hit is not None or (scope.top and run.moves.due(step))

    def over() -> bool:
        return ready() or interrupted()

    if until is None and timeout is not None:
        until = workflow.now() + timeout  # counted from now, once the step is recorded waiting
    skipped = False
    try:
        if deadline is not None:
            await _until_deadline(run, step, ready, deadline, interrupted)
        elif until is not None:
            await _until_instant(run, over, until)
        else:
            await workflow.wait_condition(over)
        held = bool(ready())
    except InstantPassed:
        # Runs recorded before a move into the past followed ``if_past`` went on instead.
        held, skipped = False, skip_past and run.patched(PAST_MOVE_PATCH)
    except TimeoutError:
        held = False
    except asyncio.CancelledError:
        await run.log.cancelled(step)
        raise
    finally:
        if scope.top:
            run.moves.waiting = None
    ended = workflow.now()  # the wait's end, not the bookkeeping's after it
    if not held and run.goals.hit is None and scope.top and run.moves.due(step):
        raise run.moves.leave(run, step)  # its watches stay: the wait goes on after the move
    # Goals keep their watch on every event of the entity; the rest end with the wait.
    keep = {ANY_EVENT} if run.goals.watching(run) else set()
    if unwatch := [kind for kind in watched or [] if kind not in keep]:
        await watch(run, unwatch, active=False)
    if run.goals.hit is not None:
        await run.log.cancelled(step)
        raise GoalReached()
    if skipped:
        step.status, step.completed_at = "skipped", ended
        step.output = {**(step.output or {}), "reason": "instant already passed"}
        run.log.pending.append(step)  # written with the run's end, as a skip at the start is
        raise WaitSkipped()
    step.status, step.completed_at = "completed", ended
    if not held and timeout is not None and watched:
        step.output = {**(step.output or {}), "timed_out": True}
    scope.context["steps"][step.node_id] = {"status": "completed", "output": step.output}
    await run.log.flush(step, run_status="running")
    return held


def _aim(run: Run, remaining: timedelta) -> timedelta:
    """The timer for an instant ``remaining`` away: to the instant or, far enough, to
    ``REAIM_BEFORE`` ahead of it, where the wait sets another for what is left then."""
    if remaining > 2 * REAIM_BEFORE and run.patched(REAIMED_WAITS_PATCH):
        return remaining - REAIM_BEFORE
    return remaining


async def _until_instant(run: Run, condition: Callable[[], bool], until: datetime) -> None:
    """Wait for ``condition()`` until the instant ``until`` (raising TimeoutError then)."""
    # Timed from now, once the step is recorded waiting: a timeout counted from before would
    # end the wait as late as the recording took (a busy database's seconds). Still a timer
    # when the instant passed meanwhile, as runs recorded before this did.
    remaining = max(until - workflow.now(), timedelta(milliseconds=1))
    while True:
        aim = _aim(run, remaining)
        try:
            await workflow.wait_condition(condition, timeout=aim)
            return
        except TimeoutError:
            if aim == remaining:
                raise
        remaining = until - workflow.now()  # aimed again, from a worker less busy by now
        if remaining <= timedelta(0):
            raise TimeoutError()


async def _until_deadline(
    run: Run, step: StepRecord, ready: Callable[[], bool], deadline: Callable[[], datetime],
    interrupted: Callable[[], bool],
) -> None:  # fmt: skip
    """Wait for ``ready()``, an interruption (a goal, a move), or ``deadline()`` (raising
    TimeoutError then); when the deadline moves, the step is recorded with its new output and
    the timer re-armed — or, moved to an instant already past, InstantPassed is raised."""
    moved = False
    while True:
        target = deadline()
        remaining = target - workflow.now()
        if remaining <= timedelta(0):
            raise InstantPassed() if moved else TimeoutError()
        aim = _aim(run, remaining)
        try:
            await workflow.wait_condition(
                lambda at=target: ready() or interrupted() or deadline() != at,  # type: ignore[misc]
                timeout=aim,
            )
        except TimeoutError:
            if deadline() == target:
                if aim == remaining:
                    raise
                moved = False  # aimed again at the same instant
                continue
        if ready() or interrupted():
            return
        moved = True
        await run.log.flush(step, run_status="waiting")  # moved: show the new instant


# --- waits that follow a moving instant -------------------------------------------------------


def _reschedulable(run: Run, node: Node) -> bool:
    """Whether an ``until`` wait follows its instant when the entity's events move it (a
    meeting rescheduled): a templated instant, a run about an entity, not turned off with
    ``reschedule_on: false``. Gated so that runs recorded before it replay unchanged."""
    until, kinds = node.config.get("until"), node.config.get("reschedule_on")
    if not (run.entity and isinstance(until, str) and "{{" in until):
        return False
    if kinds is False or kinds == []:
        return False
    return run.patched(RESCHEDULE_PATCH)


async def _rearming_wait(
    run: Run, node: Node, scope: Scope, step: StepRecord, at: datetime
) -> RunEnd | None:
    """Wait until ``at``; each event of the entity (of ``reschedule_on``'s types, default
    any) that gives the ``until`` template another instant moves the wait there. Moved to
    an instant already past, it follows ``if_past``: on at once, or the run ends skipped."""
    kinds = list(node.config.get("reschedule_on") or [ANY_EVENT])
    await watch(run, kinds)
    seen, target, original = len(run.inbox), at, at

    def deadline() -> datetime:
        nonlocal seen, target
        news = [e for e in run.inbox[seen:] if concerns(run, e)]
        seen = len(run.inbox)
        if any(ANY_EVENT in kinds or e.get("type") in kinds for e in news):
            # The entity's latest state (every event's data, in order) renders the instant.
            target = _moved(node.config, scope.context, run.entity_data) or target
            step.output = {"until": target.isoformat()}
            if target != original:
                step.output |= {"rescheduled_from": original.isoformat(),
                                "rescheduled_to": target.isoformat()}  # fmt: skip
        return target

    skip_past = node.config.get("if_past") == "skip"
    try:
        await waiting(
            run, step, scope, lambda: False, None, watched=kinds, deadline=deadline,
            skip_past=skip_past,
        )  # fmt: skip
    except WaitSkipped:
        return RunEnd("skipped")
    return None


def _resumed(run: Run, node: Node, scope: Scope) -> ResumedWait | None:
    """The wait the run moved here with, when this is the node it goes on at (taken once)."""
    resumed = run.resume_wait
    if resumed is None or resumed.node_id != node.id or not scope.top:
        return None
    run.resume_wait = None
    return resumed


def _remaining(resumed: ResumedWait | None, timeout: timedelta | None) -> timedelta | None:
    """A moved wait's timeout: what is left of it, counted from when the wait began."""
    if resumed is None:
        return timeout
    if resumed.until is not None:
        left = resumed.until - workflow.now()
    elif timeout is not None:
        left = resumed.started_at + timeout - workflow.now()
    else:
        return None
    return max(left, timedelta(milliseconds=1))  # already past: it times out at once


def _awaited(run: Run, node: Node, event: dict[str, Any], scope: Scope) -> bool:
    """Whether ``event`` is the one a ``wait_for_event`` waits for (type, entity, condition)."""
    if event.get("type") != node.config["event"] or not concerns(run, event):
        return False
    condition = node.config.get("condition")
    if condition is None:
        return True
    # The run's own context, with the event's data and the event itself on top.
    data = {k: v for k, v in (event.get("data") or {}).items() if k not in RESERVED}
    context = {**scope.context, **data, "event": event_context(event)["event"]}
    return evaluate_condition(condition, context, today=scope.context["today"])


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
