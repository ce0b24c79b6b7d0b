"""Relay's system schedules: alerts every five minutes, retention once a day.

Relay maintains itself with its own engine. Each job is a built-in definition whose one step is
an ``activity`` node calling a maintenance activity (``activities.maintenance``) on Relay's task
queue, run by the interpreter from a Temporal Schedule exactly like a tenant's scheduled
workflow — so the Temporal UI shows, pauses and triggers it like any other.

Their runs are recorded under the reserved tenant ``SYSTEM_TENANT``, which no API key belongs
to: no tenant sees them, their statistics or their alerts; retention removes them like any run.

Every worker makes sure the schedules exist when it starts (``ensure_system_schedules``):
created when missing, brought up to date otherwise (keeping a pause an operator set).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.client import (
    Client,
    Schedule,
    ScheduleAlreadyRunningError,
    ScheduleUpdate,
    ScheduleUpdateInput,
)

from definitions.loading import load_definition
from runs.deps import RunsDeps
from runs.schedules import build_schedule, schedule_attributes, schedule_id_for
from storage.alerts import SYSTEM_TENANT
from storage.db import in_thread
from storage.models import Workflow, WorkflowVersion

ALERTS: dict[str, Any] = {
    "name": "Relay: alerts",
    "description": "Flags workflows failing or slow in the last hour (storage.alerts).",
    "trigger": {"type": "schedule", "every": "5m"},
    "steps": [
        {
            "id": "check",
            "type": "activity",
            "name": "relay.check_alerts",
            "input": {"at": "{{ scheduled_at }}"},
            "timeout": "2m",
            "retry": {"max_attempts": 3},
        }
    ],
}

RETENTION: dict[str, Any] = {
    "name": "Relay: retention",
    "description": "Removes run history older than RELAY_RETENTION_DAYS (storage.retention).",
    "trigger": {"type": "schedule", "cron": "17 3 * * *"},
    "steps": [
        {
            "id": "clean",
            "type": "activity",
            "name": "relay.apply_retention",
            "input": {"at": "{{ scheduled_at }}"},
            "timeout": "1h",
            "retry": {"max_attempts": 5, "initial_interval": 60},
        }
    ],
}

SYSTEM_WORKFLOWS: dict[str, dict[str, Any]] = {"relay.alerts": ALERTS, "relay.retention": RETENTION}
"""Workflow id → built-in definition."""


def system_workflow(workflow_id: str) -> tuple[Workflow, WorkflowVersion]:
    """The built-in workflow as the scheduling code takes one (never stored)."""
    definition = load_definition(SYSTEM_WORKFLOWS[workflow_id])
    workflow = Workflow(
        id=workflow_id, tenant_id=SYSTEM_TENANT, name=definition.name, status="active"
    )
    version = WorkflowVersion(
        tenant_id=SYSTEM_TENANT,
        workflow_id=workflow_id,
        version=1,
        definition=definition.canonical(),
    )
    return workflow, version


async def ensure_system_schedules(
    client: Client, engine: Engine, task_queue: str, *, search_attributes: bool = True
) -> list[str]:
    """Create or update the system schedules; returns their ids."""
    deps = RunsDeps.over(client, engine, task_queue, search_attributes)
    ids = []
    for workflow_id in SYSTEM_WORKFLOWS:
        workflow, version = system_workflow(workflow_id)
        schedule = await in_thread(build_schedule, deps, workflow, version)
        schedule_id = schedule_id_for(workflow)
        try:
            await client.create_schedule(
                schedule_id,
                schedule,
                search_attributes=schedule_attributes(workflow) if search_attributes else None,
            )
        except ScheduleAlreadyRunningError:
            await client.get_schedule_handle(schedule_id).update(_keeping_pause(schedule))
        ids.append(schedule_id)
    return ids


def _keeping_pause(schedule: Schedule) -> Callable[[ScheduleUpdateInput], ScheduleUpdate]:
    """An update to ``schedule`` that keeps the current pause (and its note): an operator who
    paused a system schedule in the Temporal UI keeps it paused across worker restarts."""

    def update(current: ScheduleUpdateInput) -> ScheduleUpdate:
        state = current.description.schedule.state
        if not state.paused:
            return ScheduleUpdate(schedule=schedule)
        return ScheduleUpdate(schedule=replace(schedule, state=replace(state)))

    return update
