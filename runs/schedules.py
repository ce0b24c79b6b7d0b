"""Schedule triggers as Temporal Schedules: one per workflow, following its lifecycle.

A workflow whose trigger is a schedule owns the Temporal Schedule ``schedule_id_for(workflow)``:
activation creates it (or updates it to the activated version), pause pauses it, archive and
delete remove it, and a new version of an active workflow updates it at once. Its action starts
the interpreter on the pinned version with a ``schedule`` trigger, which the run completes with
its scheduled time (``workflows.interpreter``) and records as its row; it is tagged with the
same search attributes as every run, so the Temporal UI shows and controls both.

Callers (the workflow routes) call ``follow_lifecycle`` before committing their change, so a
Temporal that cannot be reached (``Unavailable``) leaves the workflow as it was.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleCalendarSpec,
    ScheduleIntervalSpec,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleRange,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.common import TypedSearchAttributes
from temporalio.service import RPCError, RPCStatusCode

from definitions.durations import parse_duration
from definitions.schedules import calendar_ranges, calendars
from runs.deps import RunsDeps
from runs.errors import Unavailable
from runs.starting import run_input
from runs.temporal_ui import run_summary, schedule_details
from storage.db import in_thread, session_scope
from storage.models import Workflow, WorkflowVersion
from storage.tenants import tenant_profile
from storage.workflows import get_version
from workflows.policies import WORKFLOW_TASK_TIMEOUT
from workflows.search_attributes import run_attributes
from workflows.trigger_event import TriggerEvent

SCHEDULED = "schedule"
"""The trigger type of a scheduled run; the interpreter fills in its id and scheduled time."""

_OVERLAP = {
    "skip": ScheduleOverlapPolicy.SKIP,
    "buffer_one": ScheduleOverlapPolicy.BUFFER_ONE,
    "buffer_all": ScheduleOverlapPolicy.BUFFER_ALL,
    "cancel_other": ScheduleOverlapPolicy.CANCEL_OTHER,
    "terminate_other": ScheduleOverlapPolicy.TERMINATE_OTHER,
    "allow_all": ScheduleOverlapPolicy.ALLOW_ALL,
}


def schedule_id_for(workflow: Workflow) -> str:
    return f"relay:{workflow.tenant_id}:{workflow.id}"


def is_scheduled(version: WorkflowVersion | None) -> bool:
    return version is not None and _trigger(version).get("type") == SCHEDULED


def owns_schedule(session: Session, workflow: Workflow) -> bool:
    """Whether the workflow may have a Temporal Schedule now: it is active or paused on a
    version with a schedule trigger (``follow_lifecycle``'s ``was_scheduled``)."""
    if workflow.status not in ("active", "paused") or workflow.active_version is None:
        return False
    return is_scheduled(get_version(session, workflow.id, workflow.active_version))


async def follow_lifecycle(
    deps: RunsDeps,
    workflow: Workflow,
    version: WorkflowVersion,
    *,
    was_scheduled: bool,
) -> None:
    """Bring the workflow's Temporal Schedule in line with its status and ``version`` (the one
    it runs, or would run once activated): present and running when active with a schedule
    trigger, paused when paused, absent otherwise. ``was_scheduled``: whether the version that
    ran before had a schedule trigger (a schedule may exist). No-op for other workflows."""
    scheduled = is_scheduled(version)
    if not (scheduled or was_scheduled) or workflow.status == "draft":
        return
    client = await deps.temporal()
    handle = client.get_schedule_handle(schedule_id_for(workflow))
    try:
        if not scheduled or workflow.status not in ("active", "paused"):
            await _ignore_missing(handle.delete())
        elif workflow.status == "active":
            await _upsert(client, deps, workflow, version)
        else:
            await _ignore_missing(handle.pause(note="workflow paused in Relay"))
    except RPCError as exc:
        raise Unavailable(f"could not update the workflow's schedule: {exc.message}") from exc


async def _upsert(
    client: Client,
    deps: RunsDeps,
    workflow: Workflow,
    version: WorkflowVersion,
) -> None:
    schedule = await in_thread(build_schedule, deps, workflow, version)  # reads the profile
    try:
        await client.create_schedule(
            schedule_id_for(workflow),
            schedule,
            search_attributes=schedule_attributes(workflow) if deps.search_attributes else None,
        )
        return
    except ScheduleAlreadyRunningError:
        pass

    def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
        return ScheduleUpdate(schedule=schedule)

    handle = client.get_schedule_handle(schedule_id_for(workflow))
    await handle.update(replace)
    # An update keeps the schedule's paused state; activation means running.
    await handle.unpause(note="workflow activated in Relay")


def build_schedule(deps: RunsDeps, workflow: Workflow, version: WorkflowVersion) -> Schedule:
    """The Schedule of ``version``'s trigger: its spec, overlap policy, and an action that starts
    a run of that version."""
    trigger = _trigger(version)
    # A bare trigger: the interpreter fills in each run's id and scheduled time.
    trigger_event = TriggerEvent(type=SCHEDULED, id=None, occurred_at=None)
    # The tenant's profile as it is now: a later change reaches the schedule when the workflow
    # is next activated or changed.
    with session_scope(deps.engine) as session:
        profile = tenant_profile(session, workflow.tenant_id)
    action = ScheduleActionStartWorkflow(
        "RelayRun",
        run_input(workflow, version, trigger_event, profile),
        # Temporal appends the scheduled time to this id: one run id per occurrence.
        id=f"run_{workflow.id}",
        task_queue=deps.task_queue,
        task_timeout=WORKFLOW_TASK_TIMEOUT,
        typed_search_attributes=(
            run_attributes(workflow.tenant_id, workflow.id, version.version)
            if deps.search_attributes
            else TypedSearchAttributes.empty
        ),
        static_summary=run_summary(workflow.name, version.version),
        static_details=schedule_details(deps.public_url, workflow.id),
    )
    overlap = _OVERLAP[str(trigger.get("overlap") or "skip")]
    return Schedule(
        action=action,
        spec=schedule_spec(trigger, _timezone(version)),
        policy=SchedulePolicy(overlap=overlap),
        state=ScheduleState(note=f"Relay workflow {workflow.name!r} v{version.version}"),
    )


def schedule_spec(trigger: dict[str, Any], timezone: str) -> ScheduleSpec:
    """A validated schedule trigger (``definitions.schedules``) as Temporal's ScheduleSpec."""
    crons = trigger.get("cron") or []
    intervals = []
    if trigger.get("every") not in (None, ""):
        offset = trigger.get("offset")
        intervals.append(
            ScheduleIntervalSpec(
                every=parse_duration(trigger["every"]),
                offset=parse_duration(offset) if offset not in (None, "") else None,
            )
        )
    return ScheduleSpec(
        cron_expressions=[crons] if isinstance(crons, str) else list(crons),
        intervals=intervals,
        calendars=[_calendar(spec) for spec in calendars(trigger)],
        time_zone_name=timezone,
    )


def _calendar(spec: dict[str, Any]) -> ScheduleCalendarSpec:
    fields: dict[str, Any] = {
        name: [ScheduleRange(start, end, step) for start, end, step in ranges]
        for name, ranges in calendar_ranges(spec).items()
    }
    if "comment" in spec:
        fields["comment"] = str(spec["comment"])
    return ScheduleCalendarSpec(**fields)


def _timezone(version: WorkflowVersion) -> str:
    settings = version.definition.get("settings") or {}
    return str(_trigger(version).get("timezone") or settings.get("timezone") or "UTC")


def _trigger(version: WorkflowVersion) -> dict[str, Any]:
    trigger: dict[str, Any] = version.definition.get("trigger") or {}
    return trigger


def schedule_attributes(workflow: Workflow) -> TypedSearchAttributes:
    """The search attributes of the workflow's Schedule itself (its runs carry their own)."""
    return run_attributes(workflow.tenant_id, workflow.id)


async def _ignore_missing(call: Any) -> None:
    """A schedule that is not there is already deleted (or never was: nothing to pause)."""
    try:
        await call
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise
