"""Starting runs: from an event (trigger matching) or by hand; and routing an event to the
runs already waiting for it.

A run's id is derived from (tenant, workflow, dedupe key), and its row is committed before its
Temporal execution starts, so a redelivered event — or a client retrying after a timeout —
starts nothing new, and an acknowledged event always has its runs started.

Waiting runs are found through their watches (``storage.watches``), in the database the runs
write to, rather than through Temporal's visibility store, which lags behind by seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session
from temporalio.client import Client
from temporalio.common import SearchAttributePair, TypedSearchAttributes, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from activities.inputs import EVENT_SIGNAL
from api.deps import ApiDeps
from api.errors import Unavailable
from api.schemas import EventAccepted, EventIn, RunStarted
from definitions.conditions import evaluate_condition
from definitions.context import event_context
from definitions.errors import TemplateRenderError
from definitions.templates import render
from storage.db import session_scope
from storage.models import Event, Run, Workflow, WorkflowVersion
from storage.runs import start_run
from storage.upsert import upsert
from storage.watches import runs_watching, unwatch
from storage.workflows import active_listeners
from workflows import search_attributes as sa
from workflows.inputs import RunInput


def run_id_for(tenant_id: str, workflow_id: str, dedupe_key: str) -> str:
    digest = hashlib.sha256(f"{tenant_id}\x1f{workflow_id}\x1f{dedupe_key}".encode()).hexdigest()
    return f"run_{digest[:32]}"


async def accept_event(deps: ApiDeps, tenant_id: str, event: EventIn) -> EventAccepted:
    """Store the event and start one run per matching active workflow, by trigger priority."""
    trigger = _trigger_of(event)
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
                "received_at": datetime.now(UTC),
                "data": event.data,
            },
            ["tenant_id", "event_id"],
        )
        listeners = active_listeners(session, tenant_id, event.type)
    context = event_context(trigger)
    today = datetime.now(UTC).date()
    matching = [
        (workflow, version)
        for workflow, version in listeners
        if _matches(version.definition.get("trigger") or {}, context, today)
    ]
    matching.sort(key=lambda wv: -int((wv[1].definition.get("trigger") or {}).get("priority", 0)))
    try:
        runs = [
            await start(deps, workflow, version, trigger, trigger["id"])
            for workflow, version in matching
        ]
        signalled = await signal_watchers(deps, tenant_id, trigger, {r.id for r in runs})
    except Unavailable as exc:
        # The event is stored; posting it again with this id starts exactly the missing runs
        # (and signals the watchers again: a run ignores an event id it has seen).
        raise Unavailable(exc.detail, event_id=trigger["id"]) from exc
    return EventAccepted(event_id=trigger["id"], runs=runs, signalled=signalled)


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
) -> RunStarted:
    definition = version.definition
    run_id = run_id_for(workflow.tenant_id, workflow.id, dedupe_key)
    entity = _entity(definition.get("trigger") or {}, trigger)
    # Connect first: a run row is only written when there is a Temporal to start it on.
    client = await deps.temporal()
    with session_scope(deps.engine) as session:
        created = start_run(
            session,
            Run(
                id=run_id,
                tenant_id=workflow.tenant_id,
                workflow_id=workflow.id,
                version=version.version,
                entity=entity,
                event_id=trigger["id"],
                trigger={"type": trigger["type"], "event_id": trigger["id"]},
                started_at=datetime.now(UTC),
            ),
        )
        ended = not created and _has_ended(session, run_id)
    if ended:
        # Temporal forgets closed runs after its retention period; the row is the lasting record
        # that this event already ran, so a late redelivery must not start it again.
        return RunStarted(
            id=run_id, workflow_id=workflow.id, version=version.version, status="duplicate"
        )
    attributes = TypedSearchAttributes(
        [
            SearchAttributePair(sa.TENANT, workflow.tenant_id),
            SearchAttributePair(sa.WORKFLOW, workflow.id),
            SearchAttributePair(sa.VERSION, version.version),
            *([SearchAttributePair(sa.ENTITY, entity)] if entity else []),
        ]
    )
    try:
        await client.start_workflow(
            "RelayRun",
            RunInput(
                tenant_id=workflow.tenant_id,
                workflow_id=workflow.id,
                workflow_name=workflow.name,
                version=version.version,
                definition=definition,
                trigger={**trigger, "entity": entity},
            ),
            id=run_id,
            task_queue=deps.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=attributes if deps.search_attributes else None,
        )
    except WorkflowAlreadyStartedError:
        created = False
    except RPCError as exc:
        raise Unavailable(f"could not start the run: {exc.message}") from exc
    return RunStarted(
        id=run_id,
        workflow_id=workflow.id,
        version=version.version,
        status="started" if created else "duplicate",
    )


def _has_ended(session: Session, run_id: str) -> bool:
    run = session.get(Run, run_id)
    return run is not None and run.status not in ("running", "waiting")


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


def _matches(trigger: dict[str, Any], context: dict[str, Any], today: date) -> bool:
    condition = trigger.get("filter")
    return condition is None or evaluate_condition(condition, context, today=today)


def _entity(trigger: dict[str, Any], event: dict[str, Any]) -> str | None:
    template = trigger.get("entity")
    if template:
        try:
            value = render(template, event_context(event))
        except TemplateRenderError:
            value = None
        if value not in (None, ""):
            return str(value)[:200]
    return event.get("entity")
