"""Which of an event's listening workflows start a run, under which id (SPEC §2.5, §3).

A run's id is derived from (tenant, workflow, run key), and the run key carries the
re-enrollment rule, so the database's primary key and Temporal's workflow id — not a
check-then-insert — keep concurrent deliveries to one run:

- ``always``: the run key is the dedupe key (the event id, or ``trigger.dedupe_key`` rendered);
- ``once``: ``once/<entity>`` — every event for the entity maps to the same run;
- ``{"after": P}``: ``after/<entity>/<latest run id>`` — events that saw the same latest run
  race for one id, and a new one is allowed only once the latest is older than ``P``.

A workflow without an entity for the event re-enrolls always.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session

from definitions.conditions import evaluate_condition
from definitions.context import event_context
from definitions.errors import TemplateRenderError
from definitions.templates import render
from definitions.trigger_options import reenroll_mode, reenroll_period
from storage.enrollments import StoredRun, latest_run
from storage.models import Run, Workflow, WorkflowVersion
from workflows.trigger_event import MAX_KEY, run_entity


@dataclass
class Enrollment:
    """One listening workflow's fate for one event."""

    workflow: Workflow
    version: WorkflowVersion
    entity: str | None = None
    dedupe_key: str = ""
    run_key: str | None = None
    """The key the run id derives from; None when the run must not start (``outcome``)."""
    outcome: str | None = None
    detail: str = ""

    @property
    def trigger(self) -> dict[str, Any]:
        return self.version.definition.get("trigger") or {}


def plan(
    session: Session,
    listeners: list[tuple[Workflow, WorkflowVersion]],
    event: dict[str, Any],
    now: datetime,
) -> list[Enrollment]:
    """Every listener's enrollment: the filtered-out and refused ones first, then the ones to
    start in trigger ``priority`` order (highest first, ties in the order found)."""
    context = event_context(event)
    decided: list[Enrollment] = []
    to_start: list[Enrollment] = []
    for workflow, version in listeners:
        enrollment = Enrollment(workflow, version)
        condition = enrollment.trigger.get("filter")
        if condition is not None and not evaluate_condition(condition, context, today=now.date()):
            enrollment.outcome = "filtered_out"
            enrollment.detail = "the trigger's filter is false for this event"
            decided.append(enrollment)
            continue
        enrollment.entity = run_entity(enrollment.trigger.get("entity"), event)
        enrollment.dedupe_key = dedupe_key(enrollment.trigger, event, context)
        _choose_key(session, enrollment, now)
        (to_start if enrollment.run_key is not None else decided).append(enrollment)
    to_start.sort(key=lambda e: -int(e.trigger.get("priority", 0)))
    return decided + to_start


def _choose_key(session: Session, enrollment: Enrollment, now: datetime) -> None:
    reenroll = enrollment.trigger.get("reenroll")
    mode = reenroll_mode(reenroll)
    entity = enrollment.entity
    if mode == "always" or entity is None:
        enrollment.run_key = enrollment.dedupe_key
    elif mode == "once":
        enrollment.run_key = f"once\x1f{entity}"
    else:
        workflow = enrollment.workflow
        latest = latest_run(session, workflow.tenant_id, workflow.id, entity)
        period = reenroll_period(reenroll)
        if latest is None:
            enrollment.run_key = f"after\x1f{entity}\x1f"
        elif _dedupe_key_of(latest) == enrollment.dedupe_key:  # a redelivery: same run
            enrollment.run_key = (latest.trigger or {}).get("key") or enrollment.dedupe_key
        elif period is not None and latest.started_at > now - period:
            enrollment.outcome = "reenroll_refused"
            enrollment.detail = (
                f"run {latest.id} for this entity started at {latest.started_at.isoformat()}; "
                f"the workflow re-enrolls after {period}"
            )
        else:
            enrollment.run_key = f"after\x1f{entity}\x1f{latest.id}"


def classify(run: Run | StoredRun | None, enrollment: Enrollment, event_id: str) -> tuple[str, str]:
    """Why an enrollment whose run existed already started nothing new."""
    if run is None:
        return "duplicate", ""
    if _dedupe_key_of(run) != enrollment.dedupe_key:
        mode = reenroll_mode(enrollment.trigger.get("reenroll"))
        return "reenroll_refused", f"run {run.id} for this entity exists ({mode})"
    if run.event_id != event_id:
        return "deduped", f"event {run.event_id} with the same dedupe key started run {run.id}"
    return "duplicate", "this event started the run before"


def _dedupe_key_of(run: Run | StoredRun) -> str | None:
    trigger = run.trigger or {}
    return trigger.get("dedupe_key", run.event_id)


def dedupe_key(trigger: dict[str, Any], event: dict[str, Any], context: dict[str, Any]) -> str:
    """``trigger.dedupe_key`` rendered for ``event``; the event id when it has none or it
    renders empty."""
    template = trigger.get("dedupe_key")
    if template:
        try:
            value = render(template, context)
        except TemplateRenderError:
            value = None
        if value not in (None, ""):
            return f"key\x1f{str(value)[:MAX_KEY]}"
    return str(event["id"])
