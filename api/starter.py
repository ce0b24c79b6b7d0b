"""Starting runs: from an event (trigger matching) or by hand; and routing an event to the
runs already waiting for it.

A run's id is derived from (tenant, workflow, dedupe key), and its row is committed before its
Temporal execution starts, so a redelivered event — or a client retrying after a timeout —
starts nothing new, and an acknowledged event always has its runs started.

Waiting runs are found through their watches (``storage.watches``), in the database the runs
write to, rather than through Temporal's visibility store, which lags behind by seconds.

A trigger's ``rate_limit`` is claimed in the transaction that writes the run's row
(``storage.rate_windows``); a deferred run is started at once with a Temporal start delay, so
it needs nothing more to begin at its window. An event emitted by a run carries its chain
(``definitions.chain``): past ``max_chain_depth`` the runs it would start do not start.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from api.cancellation import cancel_open_runs
from api.deps import ApiDeps
from api.enrollment import Enrollment, classify, plan, run_entity
from api.errors import Unavailable
from api.schemas import EventAccepted, EventIn, RunStarted
from definitions.catalog import EventTypeSpec, derive, role_addresses
from definitions.chain import started_chain
from definitions.trigger_options import RateLimit, rate_limit
from storage.db import session_scope
from storage.events import record_outcomes
from storage.models import Event, Run, Workflow, WorkflowVersion
from storage.rate_windows import admit, window_counts
from storage.runs import start_run
from storage.upsert import upsert
from storage.watches import runs_watching, unwatch
from storage.workflows import active_listeners, active_workflow
from workflows import search_attributes as sa
from workflows.contract import EVENT_SIGNAL, RunInput

logger = logging.getLogger(__name__)


def run_id_for(tenant_id: str, workflow_id: str, dedupe_key: str) -> str:
    digest = hashlib.sha256(f"{tenant_id}\x1f{workflow_id}\x1f{dedupe_key}".encode()).hexdigest()
    return f"run_{digest[:32]}"


async def accept_event(
    deps: ApiDeps,
    tenant_id: str,
    event: EventIn,
    *,
    spec: EventTypeSpec | None = None,
    only: Workflow | None = None,
) -> EventAccepted:
    """Store the event, cancel the runs it cancels (``cancel_on``), start one run per matching
    active workflow by trigger priority (one priority's runs concurrently), and signal the runs
    waiting for it.

    ``spec`` is the event type's catalog entry (its data already checked against it); ``only``
    restricts the listeners to one workflow (its incoming webhook). What the event did to each
    listening workflow is stored for ``GET /v1/events/{id}``.
    """
    trigger = _trigger_of(event)
    trigger["chain"] = started_chain(event.chain.model_dump() if event.chain else None)
    if derived := derive(spec, trigger):
        trigger["derived"] = derived
    if spec is not None and spec.roles:
        trigger["roles"] = role_addresses(spec, trigger)
    now = datetime.now(UTC)
    with session_scope(deps.engine) as session:
        upsert(
            session,
            Event,
            {
                "tenant_id": tenant_id,
                "event_id": trigger["id"],
                "type": event.type,
                "entity": event.entity,
                "occurred_at": datetime.fromisoformat(trigger["occurred_at"]),
                "received_at": now,
                "data": event.data,
            },
            ["tenant_id", "event_id"],
        )
        listeners = (
            active_listeners(session, tenant_id, event.type)
            if only is None
            else active_workflow(session, only)
        )
        enrollments = plan(session, listeners, trigger, now)
    _stop_deep_chains(enrollments, trigger, deps.max_chain_depth)
    outcomes: list[dict[str, Any]] = []
    runs: list[RunStarted] = []
    try:
        outcomes += await cancel_open_runs(deps, tenant_id, trigger)
        outcomes += [_outcome(e) for e in enrollments if e.run_key is None]
        for wave in _priority_waves([e for e in enrollments if e.run_key is not None]):
            started = await asyncio.gather(
                *(_enroll(deps, e, trigger) for e in wave), return_exceptions=True
            )
            for enrollment, run in zip(wave, started, strict=True):
                if isinstance(run, BaseException):
                    continue
                # A refused enrollment names the entity's run, not this event's.
                if enrollment.outcome not in ("reenroll_refused", "rate_limited"):
                    runs.append(run)
                outcomes.append(_outcome(enrollment))
            # The wave's other runs are started and recorded before a failure is reported.
            for failure in started:
                if isinstance(failure, BaseException):
                    raise failure
        signalled = await signal_watchers(
            deps, tenant_id, _signalled_event(trigger), {r.id for r in runs}
        )
    except Unavailable as exc:
        # The event is stored; posting it again with this id starts exactly the missing runs
        # (and signals the watchers again: a run ignores an event id it has seen).
        raise Unavailable(exc.detail, event_id=trigger["id"]) from exc
    finally:
        if outcomes:
            with session_scope(deps.engine) as session:
                record_outcomes(session, tenant_id, trigger["id"], outcomes)
    return EventAccepted(event_id=trigger["id"], runs=runs, signalled=signalled)


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


def _stop_deep_chains(enrollments: list[Enrollment], trigger: dict[str, Any], limit: int) -> None:
    """No run starts from an event emitted by a run ``limit`` deep in a chain of runs."""
    chain = trigger["chain"]
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
            trigger["id"], chain.get("origin_run"), limit, len(stopped),
        )  # fmt: skip


async def _enroll(deps: ApiDeps, enrollment: Enrollment, trigger: dict[str, Any]) -> RunStarted:
    assert enrollment.run_key is not None
    started, admission = await _start(
        deps,
        enrollment.workflow,
        enrollment.version,
        trigger,
        enrollment.run_key,
        event_key=enrollment.dedupe_key,
        limit=rate_limit(enrollment.trigger),
    )
    if admission is not None and admission.refused:
        enrollment.outcome, enrollment.detail = "rate_limited", admission.detail
        return started
    if started.status == "started":
        enrollment.outcome = "started"
        if admission is not None and admission.deferred_to is not None:
            enrollment.outcome, enrollment.detail = "deferred", admission.detail
            return started.model_copy(update={"status": "deferred"})
        return started
    with session_scope(deps.engine) as session:
        enrollment.outcome, enrollment.detail = classify(
            session.get(Run, started.id), enrollment, trigger["id"]
        )
    return started


def _outcome(enrollment: Enrollment) -> dict[str, Any]:
    started = enrollment.outcome in ("started", "deferred", "duplicate", "deduped")
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


def _signalled_event(trigger: dict[str, Any]) -> dict[str, Any]:
    """The event as waiting runs receive it: without the catalog's additions and the chain,
    which belong to the run the event starts."""
    return {k: v for k, v in trigger.items() if k not in ("derived", "roles", "chain")}


async def signal_watchers(
    deps: ApiDeps, tenant_id: str, event: dict[str, Any], started: set[str]
) -> list[str]:
    """Signal ``event`` to every run watching its entity for its type, except the runs it has
    just ``started``; returns the ids of the runs signalled. A run Temporal no longer has open
    loses its watches instead."""
    if not event["entity"]:
        return []
    with session_scope(deps.engine) as session:
        watchers = [
            run_id
            for run_id in runs_watching(session, tenant_id, event["entity"], event["type"])
            if run_id not in started
        ]
    if not watchers:
        return []
    client = await deps.temporal()
    results = await asyncio.gather(
        *(_signal(client, run_id, event) for run_id in watchers), return_exceptions=True
    )
    closed = [run_id for run_id, result in zip(watchers, results, strict=True) if result is False]
    if closed:
        with session_scope(deps.engine) as session:
            for run_id in closed:
                unwatch(session, run_id)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [run_id for run_id, result in zip(watchers, results, strict=True) if result is True]


async def _signal(client: Client, run_id: str, event: dict[str, Any]) -> bool:
    """True when the run took the signal, False when it is closed or gone."""
    try:
        await client.get_workflow_handle(run_id).signal(EVENT_SIGNAL, event)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:  # also what a closed run answers
            return False
        raise Unavailable(f"could not signal run {run_id}: {exc.message}") from exc
    return True


async def execute(
    deps: ApiDeps,
    workflow: Workflow,
    version: WorkflowVersion,
    data: dict[str, Any],
    entity: str | None,
    idempotency_key: str | None,
) -> RunStarted:
    """A manual run: its input is the trigger event's data; one run per idempotency key."""
    trigger = _trigger_of(EventIn(type="manual", id=idempotency_key, entity=entity, data=data))
    # Its own key space, so a manual key never collides with an event id.
    return await start(deps, workflow, version, trigger, f"manual\x1f{trigger['id']}")


async def start(
    deps: ApiDeps,
    workflow: Workflow,
    version: WorkflowVersion,
    trigger: dict[str, Any],
    dedupe_key: str,
    retry_of: str | None = None,
) -> RunStarted:
    """Start the run of ``workflow`` whose id derives from ``dedupe_key``, unless it exists
    (manual runs and retries; events go through ``accept_event``)."""
    started, _ = await _start(deps, workflow, version, trigger, dedupe_key, retry_of)
    return started


@dataclass
class Admission:
    """What a rate limit made of a new run: ``deferred_to`` a later window, or ``refused``."""

    deferred_to: datetime | None = None
    refused: bool = False
    detail: str = ""


async def _start(
    deps: ApiDeps,
    workflow: Workflow,
    version: WorkflowVersion,
    trigger: dict[str, Any],
    dedupe_key: str,
    retry_of: str | None = None,
    *,
    event_key: str | None = None,
    limit: RateLimit | None = None,
) -> tuple[RunStarted, Admission | None]:
    definition = version.definition
    run_id = run_id_for(workflow.tenant_id, workflow.id, dedupe_key)
    entity = run_entity(definition.get("trigger") or {}, trigger)
    now = datetime.now(UTC)
    row_trigger: dict[str, Any] = {
        "type": trigger["type"],
        "event_id": trigger["id"],
        "key": dedupe_key,
        "dedupe_key": event_key or dedupe_key,
    }
    if trigger.get("chain"):
        row_trigger["chain"] = trigger["chain"]
    admission: Admission | None = None
    # Connect first: a run row is only written when there is a Temporal to start it on.
    client = await deps.temporal()
    with session_scope(deps.engine) as session:
        existing = session.get(Run, run_id)
        if existing is None and limit is not None:
            admission = _admit(session, workflow, limit, now)
            if admission.deferred_to is not None:
                row_trigger["deferred_to"] = admission.deferred_to.isoformat()
        if admission is not None and admission.refused:
            created = settled = False
        else:
            created = start_run(
                session,
                Run(
                    id=run_id,
                    tenant_id=workflow.tenant_id,
                    workflow_id=workflow.id,
                    version=version.version,
                    entity=entity,
                    event_id=trigger["id"],
                    trigger=row_trigger,
                    started_at=now,
                    retry_of=retry_of,
                ),
            )
            settled = not created and _settled(session, run_id, trigger["id"])
            # A redelivery starts a deferred run (if its first start failed) as late as before.
            row = session.get(Run, run_id) if not created else None
            if row is not None and (row.trigger or {}).get("deferred_to"):
                row_trigger["deferred_to"] = row.trigger["deferred_to"]  # type: ignore[index]
    if admission is not None and admission.refused:
        return RunStarted(
            id=run_id, workflow_id=workflow.id, version=version.version, status="rate_limited"
        ), admission
    if settled:
        # Temporal forgets closed runs after its retention period; the row is the lasting record
        # that this event already ran, so a late redelivery must not start it again.
        return RunStarted(
            id=run_id, workflow_id=workflow.id, version=version.version, status="duplicate"
        ), admission
    attributes = run_attributes(workflow, version, entity)
    delay = None
    if deferred_to := row_trigger.get("deferred_to"):
        delay = max(datetime.fromisoformat(deferred_to) - datetime.now(UTC), timedelta(0))
    try:
        await client.start_workflow(
            "RelayRun",
            run_input(workflow, version, {**trigger, "entity": entity}),
            id=run_id,
            task_queue=deps.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=attributes if deps.search_attributes else None,
            start_delay=delay or None,
        )
    except WorkflowAlreadyStartedError:
        created = False
    except RPCError as exc:
        raise Unavailable(f"could not start the run: {exc.message}") from exc
    else:
        # Whichever request wrote the row, the one whose start Temporal took started the run:
        # of concurrent deliveries exactly one says "started".
        created = True
    return RunStarted(
        id=run_id,
        workflow_id=workflow.id,
        version=version.version,
        status="started" if created else "duplicate",
    ), admission


def _admit(session: Session, workflow: Workflow, limit: RateLimit, now: datetime) -> Admission:
    window = f"{limit.max} run(s) per {limit.per}"
    claimed = admit(session, workflow.tenant_id, workflow.id, limit, now)
    if claimed is None:
        started, dropped = window_counts(session, workflow.tenant_id, workflow.id, limit, now)
        return Admission(
            refused=True,
            detail=f"the workflow starts at most {window}: {started} started and {dropped} "
            f"event(s) dropped in the window from {limit.window_start(now).isoformat()}",
        )
    if claimed == now:
        return Admission()
    return Admission(
        deferred_to=claimed,
        detail=f"the workflow starts at most {window}; the run starts at {claimed.isoformat()}",
    )


def run_attributes(
    workflow: Workflow, version: WorkflowVersion, entity: str | None = None
) -> TypedSearchAttributes:
    """The search attributes the Temporal UI finds a run by (also a scheduled one's)."""
    return TypedSearchAttributes(
        [
            SearchAttributePair(sa.TENANT, workflow.tenant_id),
            SearchAttributePair(sa.WORKFLOW, workflow.id),
            SearchAttributePair(sa.VERSION, version.version),
            *([SearchAttributePair(sa.ENTITY, entity)] if entity else []),
        ]
    )


def run_input(workflow: Workflow, version: WorkflowVersion, trigger: dict[str, Any]) -> RunInput:
    """What the interpreter starts with: the pinned version and the triggering event."""
    return RunInput(
        tenant_id=workflow.tenant_id,
        workflow_id=workflow.id,
        workflow_name=workflow.name,
        version=version.version,
        definition=version.definition,
        trigger=trigger,
    )


def _settled(session: Session, run_id: str, event_id: str) -> bool:
    """Whether an existing run must not be started by this request: it has ended, or another
    event wrote it (a run key shared by events, as re-enrollment makes): that event's own
    request starts it, so the run always executes the event its row names."""
    run = session.get(Run, run_id)
    if run is None:
        return False
    return run.status not in ("running", "waiting") or run.event_id != event_id


def _trigger_of(event: EventIn) -> dict[str, Any]:
    occurred = event.occurred_at or datetime.now(UTC)
    if occurred.tzinfo is None:
        occurred = occurred.replace(tzinfo=UTC)
    return {
        "type": event.type,
        "id": event.id or f"evt_{uuid.uuid4().hex}",
        "occurred_at": occurred.isoformat(),
        "entity": event.entity,
        "data": event.data,
        "previous": event.previous,
    }
