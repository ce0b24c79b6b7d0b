"""The simulation driver: one ``RelayRun`` as a child, fed scripted events at simulated times.

A simulation runs the real interpreter on a time-skipping test server, where every side effect
is recorded instead of done (``activities.simulated``). Events are delivered from this workflow
rather than from a client so that "two days after the start" is two days of *workflow* time,
exact whatever else the shared test server is skipping through meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from temporalio import workflow
from temporalio.exceptions import ChildWorkflowError

from definitions.durations import parse_duration, parse_instant
from definitions.errors import DefinitionError, Problem
from definitions.models import Definition, Trigger
from definitions.sample_data import trigger_sample
from workflows.contract import (
    EVENT_SIGNAL,
    RUN_WORKFLOW,
    SIMULATION_HORIZON,
    SIMULATION_WORKFLOW,
    DeliveredEvent,
    RunResult,
    ScriptedEvent,
    SimulationEnd,
    SimulationInput,
)
from workflows.errors import error_of
from workflows.trigger_event import TriggerEvent, run_entity

_LOCAL_TIMEOUT = timedelta(seconds=10)


# Unsandboxed, as the interpreter it drives (``workflows.interpreter``).
@workflow.defn(name=SIMULATION_WORKFLOW, sandboxed=False)
class RelaySimulation:
    @workflow.run
    async def run(self, input: SimulationInput) -> SimulationEnd:
        started = workflow.now()
        horizon = started + timedelta(seconds=input.horizon_seconds)
        trigger = {**input.run.trigger, "occurred_at": started.isoformat()}
        child = await workflow.start_child_workflow(
            RUN_WORKFLOW,
            replace(input.run, trigger=trigger),
            id=input.run_id,
            result_type=RunResult,
        )
        delivered: list[DeliveredEvent] = []
        for scripted in sorted(input.events, key=lambda e: _due(e, started)):
            due = min(_due(scripted, started), horizon)
            if not await _running_until(child, due) or workflow.now() >= horizon:
                break
            # The arrival is stamped when it is sent: the signal's acknowledgement comes in a
            # later workflow task, whose clock may be past the steps the event already woke.
            arrived = workflow.now()
            event = {**scripted.event, "occurred_at": arrived.isoformat()}
            try:
                await child.signal(EVENT_SIGNAL, event)
            except Exception:  # the run ended just now: nothing is left to deliver to
                break
            delivered.append(DeliveredEvent(str(event["id"]), str(event["type"]), arrived))
        await _running_until(child, horizon)
        if not child.done():
            # Still waiting. The recorded steps are frozen as they stand, then the run is
            # cancelled and awaited: a child left to the parent close policy (terminated) keeps
            # the test server from skipping time for every later simulation. The local activity
            # cancels it (see ``horizon``): a cancel command from here would reach the child
            # asynchronously, and the server's clock could jump to a 10-year run deadline first.
            await workflow.execute_local_activity(
                SIMULATION_HORIZON, input.run_id, start_to_close_timeout=_LOCAL_TIMEOUT
            )
            with contextlib.suppress(ChildWorkflowError, asyncio.CancelledError):
                await child
            return SimulationEnd(started, workflow.now(), None, delivered)
        try:
            result = await child
        except ChildWorkflowError as exc:
            return SimulationEnd(started, workflow.now(), None, delivered, error_of(exc))
        return SimulationEnd(started, workflow.now(), result, delivered)


def _due(event: ScriptedEvent, started: datetime) -> datetime:
    if event.at is not None:
        return datetime.fromisoformat(event.at)
    return started + timedelta(seconds=event.after_seconds or 0)


async def _running_until(child: asyncio.Future[Any], instant: datetime) -> bool:
    """Wait until ``instant`` (workflow time) or the child's end; True if it still runs."""
    remaining = (instant - workflow.now()).total_seconds()
    if remaining > 0 and not child.done():
        await workflow.wait([child], timeout=remaining)
    return not child.done()


# --------------------------------------------------------------------------- requests


@dataclass
class SimulationRequest:
    """One simulation: a definition, the event that starts it, and what happens afterwards."""

    definition: dict[str, Any]
    """The canonical definition (``Definition.canonical()``)."""
    trigger: dict[str, Any]
    """The starting event: ``type``, ``id``, ``entity``, ``data``, ``previous``."""
    events: list[ScriptedEvent] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    """node id → what its action returns (a mocked HTTP response), instead of a success."""
    failures: dict[str, str] = field(default_factory=dict)
    """node id → the message its action fails with (permanently: no retry), instead of a
    success: an error branch, ``on_error`` or a failed run, tried without a failing peer."""
    sample: bool = False
    """The event's data was generated from a sample or a schema, not given."""
    tenant_id: str = "simulation"
    workflow_id: str = "simulation"
    version: int = 1
    tenant: dict[str, Any] | None = None
    """The tenant's profile, as a live run reads it (``RunInput.tenant``)."""


def simulation_request(
    definition: Definition,
    event: dict[str, Any] | None = None,
    events: list[dict[str, Any]] | None = None,
    *,
    schema: dict[str, Any] | None = None,
    outputs: dict[str, Any] | None = None,
    failures: dict[str, str] | None = None,
    tenant_id: str = "simulation",
    workflow_id: str = "simulation",
    version: int = 1,
) -> SimulationRequest:
    """A request to simulate ``definition`` started by ``event`` (``type``, ``entity``, ``data``,
    all optional). Without ``data``, sample data stands in: from ``schema`` — the event type's
    JSON Schema, when the caller knows it — or from the trigger's own ``sample``/``schema``.

    Raises ``DefinitionError`` with paths (``events[1].at``) for scripted events it cannot place.
    """
    trigger, sample = simulated_trigger(definition.trigger, event, schema)
    return SimulationRequest(
        definition=definition.canonical(),
        trigger=trigger,
        events=scripted_events(events or [], trigger["entity"]),
        outputs=dict(outputs or {}),
        failures=dict(failures or {}),
        sample=sample,
        tenant_id=tenant_id,
        workflow_id=workflow_id,
        version=version,
    )


def simulated_trigger(
    trigger: Trigger, event: dict[str, Any] | None, schema: dict[str, Any] | None = None
) -> tuple[dict[str, Any], bool]:
    """The starting event a simulation of ``trigger`` uses (``RunInput.trigger``, without its
    start time), and whether its data is a sample: ``event`` as ``simulation_request`` takes
    it, its data else sampled from ``schema`` or the trigger's own ``sample``/``schema``."""
    given = dict(event or {})
    sample = "data" not in given
    data = trigger_sample(trigger, schema) if sample else given["data"]
    started = TriggerEvent(
        type=given.get("type") or trigger.event or trigger.type,
        id=str(given.get("id") or "sim-event"),
        occurred_at=None,  # the simulated start, set by the driver
        entity=given.get("entity"),
        data=data if isinstance(data, dict) else {},
        previous=given.get("previous"),
        # What the event catalog adds to a trigger (derived fields, recipient roles) passes.
        derived=given.get("derived"),
        roles=given.get("roles"),
    )
    # The run's entity as intake derives it: the trigger's ``entity`` template.
    started.entity = run_entity(trigger.entity, started.as_dict())
    return started.as_dict(), sample


def scripted_events(raw: list[dict[str, Any]], entity: str | None) -> list[ScriptedEvent]:
    """``[{"at": "P2D" | "2030-01-02T00:00:00Z", "type", "entity"?, "data"?}]`` as
    ``ScriptedEvent``s about the run's ``entity`` unless they name another."""
    problems: list[Problem] = []
    scripted: list[ScriptedEvent] = []
    for index, item in enumerate(raw):
        path = f"events[{index}]"
        at, kind = item.get("at", 0), item.get("type")
        if not (isinstance(kind, str) and kind):
            problems.append(Problem(f"{path}.type", "a scripted event needs its type"))
            continue
        event = {
            "type": kind,
            "id": str(item.get("id") or f"sim-event-{index + 1}"),
            "entity": item.get("entity", entity),
            "data": item.get("data") or {},
            "previous": item.get("previous"),
        }
        try:
            scripted.append(_placed(event, at, f"{path}.at"))
        except DefinitionError as exc:
            problems += exc.problems
    if problems:
        raise DefinitionError(problems)
    return scripted


def _placed(event: dict[str, Any], at: Any, path: str) -> ScriptedEvent:
    """``at`` is an offset from the start (``P2D``, ``48h``, seconds) or an ISO instant."""
    try:
        offset = parse_duration(at, path)
    except DefinitionError:
        if not (isinstance(at, str) and "T" in at):
            message = "'at' is an offset from the start (P2D, 48h) or an ISO 8601 instant"
            raise DefinitionError.at(path, message) from None
        return ScriptedEvent(event, at=parse_instant(at, path).isoformat())
    if offset.total_seconds() < 0:
        raise DefinitionError.at(path, "a scripted event cannot come before the start")
    return ScriptedEvent(event, after_seconds=offset.total_seconds())
