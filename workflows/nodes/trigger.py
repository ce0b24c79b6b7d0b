"""How a run begins, as its trigger says: a scheduled run learns its scheduled time and writes
its own row; a ``start`` (a trigger's ``delay``, a date-relative trigger) is a wait before the
first step; an anniversary trigger repeats the whole flow every year.

The leading wait is the ``wait`` node's own code on a node built from the trigger (id
``trigger``, as the graph's start), so it records, re-arms and honours ``if_past`` like any
wait. Definitions without these triggers issue no command here: older histories replay as
they were recorded.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from temporalio import workflow
from temporalio.common import SearchAttributeKey

from definitions.errors import DefinitionError, TemplateRenderError
from definitions.models import START, Definition, Node
from definitions.schedules import next_anniversary
from definitions.templates import render
from definitions.triggers import anniversary_time
from workflows.contract import OPEN_RUN, OpenRunInput, RunInput, RunRef, permanent
from workflows.errors import error_of
from workflows.nodes.base import Run, RunEnd, Scope, failed
from workflows.nodes.waits import wait
from workflows.steps import local_activity

SCHEDULED_START = SearchAttributeKey.for_datetime("TemporalScheduledStartTime")
"""Set by Temporal on every run a Schedule starts: the time it was due."""


def complete_scheduled(input: RunInput, started: datetime) -> bool:
    """A run started by a Temporal Schedule carries a bare ``schedule`` trigger (its arguments
    are fixed when the schedule is written): give it its id and scheduled time, which
    templates read as ``{{ scheduled_at }}`` and ``{{ event.occurred_at }}``. True for the
    first execution of such a run (not once it continued-as-new)."""
    trigger = input.trigger
    if trigger.get("type") != "schedule" or trigger.get("id") is not None:
        return False
    info = workflow.info()
    due = info.typed_search_attributes.get(SCHEDULED_START) or started
    at = due.isoformat().replace("+00:00", "Z")
    input.trigger = {
        **trigger,
        "id": info.workflow_id,
        "occurred_at": at,
        "data": {**(trigger.get("data") or {}), "scheduled_at": at},
    }
    return True


async def open_scheduled_run(ref: RunRef, trigger: dict[str, Any]) -> None:
    """Write the run's row (the API writes it for every other run before starting it)."""
    summary = {"type": "schedule", "scheduled_at": trigger["occurred_at"]}
    await local_activity(OPEN_RUN, OpenRunInput(ref, summary))


async def trigger_start(run: Run, scope: Scope) -> RunEnd | None:
    """The trigger's leading wait, if it has one; a RunEnd when the run ends there (an
    instant already past, or moved into the past, with ``if_past: skip``; an anniversary
    that is no date)."""
    start = run.definition.trigger.start
    if not start:
        return None
    config = dict(start)
    if "anniversary" in config:
        try:
            config = {"until": _next_anniversary(run.definition, config, scope)}
        except (DefinitionError, TemplateRenderError, ValueError) as exc:
            error = error_of(permanent(str(exc), "invalid_anniversary"))
            step = run.log.step(_start_node(config), scope, "running")
            await failed(run, _start_node(config), scope, step, error)
            return RunEnd("failed", {"node_id": START, **error})
    outcome = await wait(run, _start_node(config), scope)
    return outcome if isinstance(outcome, RunEnd) else None


def yearly(definition: Definition) -> bool:
    """Whether the flow runs again each year (an anniversary trigger)."""
    return "anniversary" in (definition.trigger.start or {})


def _next_anniversary(definition: Definition, config: dict[str, Any], scope: Scope) -> str:
    day = render(config["anniversary"], scope.context)
    at = anniversary_time(config.get("at") or "09:00")
    timezone = str(definition.settings.timezone or "UTC")
    instant = next_anniversary(day, workflow.now(), at or time(9), timezone)
    return instant.isoformat()


def _start_node(config: dict[str, Any]) -> Node:
    return Node(id=START, type="wait", config=config)
