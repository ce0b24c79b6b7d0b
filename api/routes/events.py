"""Incoming events: each starts one run per matching active workflow; and what one event did."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, status
from fastapi.exceptions import RequestValidationError
from sqlmodel import Session

from api.deps import ApiDeps, CurrentTenant, Deps, SessionDep
from api.errors import NotFound
from api.schemas.events import (
    EVENTS_SCHEMA,
    EventAccepted,
    EventIn,
    EventOut,
    OutcomeOut,
    parse_events,
)
from definitions.catalog import EventTypeSpec, data_problems
from runs import errors as runs_errors
from runs.intake import accept_event, paced
from storage.db import in_thread, session_scope
from storage.event_types import get_event_type
from storage.events import get_event, outcomes_of

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.post("", status_code=status.HTTP_202_ACCEPTED)
async def post_events(
    body: Annotated[Any, Body(json_schema_extra=EVENTS_SCHEMA)], tenant: CurrentTenant, deps: Deps
) -> EventAccepted | list[EventAccepted]:
    """One event, or a list of them (answered in the same order).

    Data that violates its event type's schema (``GET /v1/event-types``) is refused with 422
    and the paths of the violations (``[2].data.invitee_email`` in a list); nothing of a
    refused list is accepted.
    """
    events = parse_events(body)
    batch = events if isinstance(events, list) else [events]
    specs = await in_thread(_checked, deps, tenant, batch, listed=isinstance(events, list))
    await paced(deps)
    if not isinstance(events, list):
        return await accept(deps, tenant, events, spec=specs[events.type])
    # A list is answered per item: one event Temporal could not fully handle does not make the
    # others look refused (it is stored; the item names why, to post it again).
    accepted, failures = [], []
    for event in batch:
        try:
            accepted.append(await accept(deps, tenant, event, spec=specs[event.type]))
        except runs_errors.Unavailable as exc:
            failures.append(exc)
            accepted.append(
                EventAccepted(event_id=exc.event_id or str(event.id), runs=[], error=exc.detail)
            )
    if failures and len(failures) == len(batch):
        raise failures[0]
    return accepted


async def accept(
    deps: ApiDeps,
    tenant_id: str,
    event: EventIn,
    *,
    spec: EventTypeSpec | None = None,
) -> EventAccepted:
    """Hand a parsed event to run intake (``runs.intake.accept_event``)."""
    chain = event.chain.model_dump() if event.chain else None
    accepted = await accept_event(deps, tenant_id, event.trigger_event(), chain=chain, spec=spec)
    return EventAccepted.model_validate(accepted)


def _checked(
    deps: ApiDeps, tenant_id: str, events: list[EventIn], *, listed: bool
) -> dict[str, EventTypeSpec | None]:
    with session_scope(deps.engine) as session:
        return checked_specs(session, tenant_id, events, listed=listed)


def checked_specs(
    session: Session, tenant_id: str, events: list[EventIn], *, listed: bool = False
) -> dict[str, EventTypeSpec | None]:
    """The catalog entry of each event's type, after checking every event's data against it;
    raises a 422 with every violation (prefixed ``[i].`` for the items of a ``listed`` batch)."""
    specs: dict[str, EventTypeSpec | None] = {}
    errors = []
    for index, event in enumerate(events):
        if event.type not in specs:
            specs[event.type] = get_event_type(session, tenant_id, event.type)
        for problem in data_problems(specs[event.type], event.data):
            loc = (index, *_loc(problem.path)) if listed else _loc(problem.path)
            message = f"{problem.message} (schema of {event.type})"
            errors.append({"loc": ("body", *loc), "msg": message})
    if errors:
        raise RequestValidationError(errors)
    return specs


def _loc(path: str) -> tuple[str | int, ...]:
    """``data.items[2].sku`` → ``("data", "items", 2, "sku")``, the location FastAPI errors use."""
    parts: list[str | int] = []
    for segment in path.split("."):
        name, _, rest = segment.partition("[")
        if name:
            parts.append(name)
        for index in rest.rstrip("]").split("][") if rest else []:
            parts.append(int(index) if index.isascii() and index.isdigit() else index)
    return tuple(parts)


@router.get("/{event_id}")
def get_one(event_id: str, tenant: CurrentTenant, session: SessionDep) -> EventOut:
    """An event, the runs it started, and why each workflow listening to its type did or did
    not start one."""
    event = get_event(session, tenant, event_id)
    if event is None:
        raise NotFound("event", event_id)
    outcomes = [
        OutcomeOut(workflow_id=o.workflow_id, outcome=o.outcome, run_id=o.run_id, detail=o.detail)
        for o in outcomes_of(session, tenant, event_id)
    ]
    running = ("started", "deferred", "pending")
    runs = [o.run_id for o in outcomes if o.outcome in running and o.run_id]
    return EventOut(
        id=event.event_id,
        type=event.type,
        entity=event.entity,
        occurred_at=event.occurred_at,
        received_at=event.received_at,
        data=event.data,
        runs=runs,
        outcomes=outcomes,
        note=None if outcomes else "no active workflow listens to this event type",
    )
