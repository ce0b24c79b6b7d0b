"""Accepting an event: store it, cancel what it cancels, start the runs it triggers, and signal
the runs waiting for it; and manual runs.

An event emitted by a run carries its chain (``definitions.chain``): past ``max_chain_depth``
the runs it would start do not start. What the event did to each listening workflow is stored
for ``GET /v1/events/{id}``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session

from definitions.catalog import EventTypeSpec, derive, role_addresses
from definitions.chain import started_chain
from definitions.trigger_options import rate_limit
from runs.cancel_on import cancel_runs, cancelled_by
from runs.deps import RunsDeps
from runs.enrollment import Enrollment, classify, plan
from runs.errors import Conflict, Unavailable
from runs.signals import signal_watchers
from runs.starting import (
    START_RUN,
    Launched,
    Started,
    Written,
    conclude,
    launch,
    new_row,
    run_id_for,
    start,
    write_start,
)
from storage.db import in_thread, session_scope
from storage.events import record_outcomes
from storage.models import Event, Run, Workflow, WorkflowVersion
from storage.outbox import find_intent
from storage.tenants import tenant_profile
from storage.upsert import upsert
from storage.workflows import active_listeners
from workflows.trigger_event import TriggerEvent

logger = logging.getLogger(__name__)


@dataclass
class Accepted:
    """What an event did: the runs it started (or found started) and the runs it signalled."""

    event_id: str
    runs: list[Started] = field(default_factory=list)
    signalled: list[str] = field(default_factory=list)


def received(
    type: str,
    *,
    id: str | None = None,
    occurred_at: datetime | None = None,
    entity: str | None = None,
    data: dict[str, Any] | None = None,
    previous: dict[str, Any] | None = None,
) -> TriggerEvent:
    """An arriving event as a trigger: without an id it gets a new one, without a time it
    occurred now; the time is in UTC (one without a zone is read as UTC)."""
    occurred = occurred_at or datetime.now(UTC)
    occurred = occurred.replace(tzinfo=UTC) if occurred.tzinfo is None else occurred.astimezone(UTC)
    return TriggerEvent(
        type=type,
        id=id or f"evt_{uuid.uuid4().hex}",
        occurred_at=occurred.isoformat(),
        entity=entity,
        data=data if data is not None else {},
        previous=previous,
    )


async def paced(deps: RunsDeps) -> None:
    """Wait at the door while the workers are behind (``runs.pacing``), before a request from
    outside stores its events; once per request, however many events it carries."""
    if deps.pace is not None:
        await deps.pace.admit()


async def accept_event(
    deps: RunsDeps,
    tenant_id: str,
    event: TriggerEvent,
    *,
    chain: dict[str, Any] | None = None,
    spec: EventTypeSpec | None = None,
) -> Accepted:
    """Store the event, cancel the runs it cancels (``cancel_on``), start one run per matching
    active workflow by trigger priority (one priority's runs concurrently), and signal the runs
    waiting for it.

    ``chain`` is the chain of the run that emitted the event (None: from outside); ``spec`` the
    event type's catalog entry (its data already checked against it).

    The common case costs two transactions: one stores the event, plans the enrollments and —
    when the event cancels nothing — writes the first priority's run rows and start intents;
    the other, after the starts, settles those intents and records the outcomes.
    """
    trigger = _as_trigger(event, chain, spec)

    def listening(session: Session) -> _Listened:
        return tenant_id, trigger, active_listeners(session, tenant_id, trigger.type)

    return await _accept(deps, listening)


@dataclass
class Addressed:
    """An event addressed to one workflow (its incoming webhook)."""

    tenant_id: str
    event: TriggerEvent
    spec: EventTypeSpec | None
    """The event type's catalog entry (the event's data already checked against it)."""
    listeners: list[tuple[Workflow, WorkflowVersion]]
    """The workflow with its active version; [] when it is not active."""


async def accept_addressed(deps: RunsDeps, address: Callable[[Session], Addressed]) -> Accepted:
    """``accept_event`` for an event addressed to one workflow: ``address(session)`` reads the
    event, its tenant and its workflow in the transaction that stores the event (one trip to
    the database for a webhook), and may raise — a wrong token, invalid data — before anything
    is stored."""

    def listening(session: Session) -> _Listened:
        addressed = address(session)
        trigger = _as_trigger(addressed.event, None, addressed.spec)
        return addressed.tenant_id, trigger, addressed.listeners

    return await _accept(deps, listening)


_Listened = tuple[str, TriggerEvent, list[tuple[Workflow, WorkflowVersion]]]
"""The event's tenant, the event as its runs receive it, and its listeners."""


async def _accept(deps: RunsDeps, listening: Callable[[Session], _Listened]) -> Accepted:
    planned = await in_thread(_store_and_plan, deps, listening)
    tenant_id, trigger = planned.tenant_id, planned.trigger
    event_id = str(trigger.id)
    outcomes: list[dict[str, Any]] = []
    runs: list[Started] = []
    launched: list[Launched] = []
    try:
        outcomes += await cancel_runs(deps, tenant_id, planned.cancelled)
        outcomes += [_outcome(e) for e in planned.enrollments if e.run_key is None]
        written = planned.written
        for wave in _priority_waves([e for e in planned.enrollments if e.run_key is not None]):
            if written is None:
                written = await in_thread(_write_wave, deps, tenant_id, wave, trigger)
            runs += await _start_wave(deps, wave, written, trigger, outcomes, launched)
            written = None
        signalled = await signal_watchers(
            deps, tenant_id, trigger.signalled(), {r.id for r in runs}
        )
    except Unavailable as exc:
        # Cancelling and signalling need Temporal now (a start does not: it waits in the
        # outbox). The event is stored; posting it again with this id starts exactly the
        # missing runs and signals the watchers again (a run ignores an event id it has seen).
        raise Unavailable(exc.detail, event_id=event_id) from exc
    finally:
        if outcomes or launched:
            await in_thread(_record_outcomes, deps, tenant_id, event_id, outcomes, launched)
    return Accepted(event_id=event_id, runs=runs, signalled=signalled)


def _record_outcomes(
    deps: RunsDeps,
    tenant_id: str,
    event_id: str,
    outcomes: list[dict[str, Any]],
    launched: list[Launched],
) -> None:
    """The outbox learns what became of the starts (``conclude``), and the event its outcomes,
    in one transaction."""
    with session_scope(deps.engine) as session:
        conclude(session, launched)
        record_outcomes(session, tenant_id, event_id, [_current(session, o) for o in outcomes])


def _current(session: Session, outcome: dict[str, Any]) -> dict[str, Any]:
    """A ``pending`` outcome as it is now: a worker's recoverer may have carried the start out
    (or given it up) before the outcome is recorded, and it updates only the recorded ones."""
    if outcome["outcome"] != "pending":
        return outcome
    intent = find_intent(session, START_RUN, outcome["run_id"])
    if intent is None or intent.status == "pending":
        return outcome
    if intent.status == "done":
        return {**outcome, "outcome": "started", "detail": "a worker's recoverer started the run"}
    return {**outcome, "outcome": "failed", "detail": intent.last_error or ""}


def _as_trigger(
    event: TriggerEvent, chain: dict[str, Any] | None, spec: EventTypeSpec | None
) -> TriggerEvent:
    """The event as the runs it starts receive it: with their chain, and what the event type's
    catalog entry derives from it."""
    trigger = replace(event, chain=started_chain(chain))
    as_dict = trigger.as_dict()
    if derived := derive(spec, as_dict):
        trigger.derived = derived
        as_dict["derived"] = derived
    if spec is not None and spec.roles:
        trigger.roles = role_addresses(spec, as_dict)
    return trigger


@dataclass
class _Planned:
    """What the event's first transaction decided."""

    tenant_id: str
    trigger: TriggerEvent
    enrollments: list[Enrollment]
    cancelled: list[Run]
    """The open runs it cancels (``cancel_on``)."""
    written: list[Written] | None = None
    """The first priority's runs, written in the same transaction when the event cancels
    nothing (a cancellation goes to Temporal before any run of the event may start)."""


def _store_and_plan(deps: RunsDeps, listening: Callable[[Session], _Listened]) -> _Planned:
    """Store the event (once per id), plan each listening workflow's enrollment and find the
    runs it cancels; when it cancels none, write the first priority's runs too."""
    now = datetime.now(UTC)
    with session_scope(deps.engine) as session:
        tenant_id, trigger, listeners = listening(session)
        upsert(
            session,
            Event,
            {
                "tenant_id": tenant_id,
                "event_id": trigger.id,
                "type": trigger.type,
                "entity": trigger.entity,
                "occurred_at": datetime.fromisoformat(str(trigger.occurred_at)),
                "received_at": now,
                "data": trigger.data,
            },
            ["tenant_id", "event_id"],
        )
        enrollments = plan(session, listeners, trigger.as_dict(), now)
        _stop_deep_chains(enrollments, trigger, deps.max_chain_depth)
        cancelled = cancelled_by(session, tenant_id, trigger)
        planned = _Planned(tenant_id, trigger, enrollments, cancelled)
        waves = _priority_waves([e for e in enrollments if e.run_key is not None])
        if waves and not cancelled:
            planned.written = write_wave(session, tenant_id, waves[0], trigger)
        return planned


def _write_wave(
    deps: RunsDeps, tenant_id: str, wave: list[Enrollment], trigger: TriggerEvent
) -> list[Written]:
    with session_scope(deps.engine) as session:
        return write_wave(session, tenant_id, wave, trigger)


def write_wave(
    session: Session, tenant_id: str, wave: list[Enrollment], trigger: TriggerEvent
) -> list[Written]:
    """Write one priority's runs (``runs.starting.write_start``) in the caller's transaction."""
    tenant = tenant_profile(session, tenant_id)
    written = []
    for enrollment in wave:
        assert enrollment.run_key is not None
        workflow, version = enrollment.workflow, enrollment.version
        row, run_trigger = new_row(
            workflow, version, trigger, enrollment.run_key, event_key=enrollment.dedupe_key
        )
        limit = rate_limit(enrollment.trigger)
        written.append(write_start(session, row, workflow, version, run_trigger, limit, tenant))
    return written


async def _start_wave(
    deps: RunsDeps,
    wave: list[Enrollment],
    written: list[Written],
    trigger: TriggerEvent,
    outcomes: list[dict[str, Any]],
    launched: list[Launched],
) -> list[Started]:
    """Start one priority's written runs concurrently; their outcomes go to ``outcomes``, and
    what the outbox must learn to ``launched``. The wave's other runs are started and recorded
    before a failure is reported."""
    runs: list[Started] = []
    results = await asyncio.gather(*(launch(deps, w) for w in written), return_exceptions=True)
    for enrollment, result in zip(wave, results, strict=True):
        if isinstance(result, BaseException):
            continue
        launched.append(result)
        started = _enrolled(enrollment, result, str(trigger.id))
        # A refused enrollment names the entity's run, not this event's.
        if enrollment.outcome not in ("reenroll_refused", "rate_limited"):
            runs.append(started)
        outcomes.append(_outcome(enrollment))
    for failure in results:
        if isinstance(failure, BaseException):
            raise failure
    return runs


def _priority_waves(enrollments: list[Enrollment]) -> list[list[Enrollment]]:
    """The enrollments (in priority order) grouped by priority: the runs of one wave start
    concurrently, and every run of a higher priority has started before a lower one starts."""
    waves: list[list[Enrollment]] = []
    for enrollment in enrollments:
        if waves and _priority(waves[-1][0]) == _priority(enrollment):
            waves[-1].append(enrollment)
        else:
            waves.append([enrollment])
    return waves


def _priority(enrollment: Enrollment) -> int:
    return int(enrollment.trigger.get("priority", 0))


def _stop_deep_chains(enrollments: list[Enrollment], trigger: TriggerEvent, limit: int) -> None:
    """No run starts from an event emitted by a run ``limit`` deep in a chain of runs."""
    chain = trigger.chain or {}
    if chain["depth"] <= limit:
        return
    stopped = [e for e in enrollments if e.run_key is not None]
    for enrollment in stopped:
        enrollment.run_key = None
        enrollment.outcome = "chain_depth_exceeded"
        enrollment.detail = (
            f"run {chain.get('origin_run')} emitted this event {limit} runs deep in a chain of "
            f"runs starting each other; the limit is {limit}"
        )
    if stopped:
        logger.warning(
            "event %s from run %s exceeds the chain depth limit of %d: %d run(s) not started",
            trigger.id, chain.get("origin_run"), limit, len(stopped),
        )  # fmt: skip


def _enrolled(enrollment: Enrollment, launched: Launched, event_id: str) -> Started:
    """The enrollment's outcome, from what starting its run did."""
    started, admission = launched.started, launched.written.admission
    if admission is not None and admission.refused:
        enrollment.outcome, enrollment.detail = "rate_limited", admission.detail
        return started
    if started.status == "pending":
        enrollment.outcome = "pending"
        enrollment.detail = "Temporal could not take the start now; a worker's recoverer starts it"
        return started
    if started.status == "started":
        enrollment.outcome = "started"
        if admission is not None and admission.deferred_to is not None:
            enrollment.outcome, enrollment.detail = "deferred", admission.detail
            return replace(started, status="deferred")
        return started
    # The run existed (the row this request found, else the one it wrote).
    stored = launched.written.stored or launched.written.row
    enrollment.outcome, enrollment.detail = classify(stored, enrollment, event_id)
    return started


def _outcome(enrollment: Enrollment) -> dict[str, Any]:
    started = enrollment.outcome in ("started", "deferred", "pending", "duplicate", "deduped")
    return {
        "workflow_id": enrollment.workflow.id,
        "outcome": enrollment.outcome or "started",
        "run_id": run_id_for(
            enrollment.workflow.tenant_id, enrollment.workflow.id, enrollment.run_key or ""
        )
        if started and enrollment.run_key is not None
        else None,
        "detail": enrollment.detail,
    }


async def execute(
    deps: RunsDeps,
    workflow: Workflow,
    version: WorkflowVersion,
    data: dict[str, Any],
    entity: str | None,
    idempotency_key: str | None,
) -> Started:
    """A manual run: its input is the trigger event's data; one run per idempotency key.
    A paused or archived workflow starts none (``Conflict``); a draft does, for trying it."""
    if workflow.status in ("archived", "paused"):
        raise Conflict(f"workflow {workflow.id!r} is {workflow.status}")
    trigger = received("manual", id=idempotency_key, entity=entity, data=data)
    # Its own key space, so a manual key never collides with an event id.
    return await start(deps, workflow, version, trigger, f"manual\x1f{trigger.id}")
