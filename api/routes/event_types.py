"""The event catalog: per event type, a JSON Schema for its data, derived fields and recipient
roles. The built-in entries show until the tenant stores its own of the same type."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Response, status

from api.deps import CurrentTenant, SessionDep
from api.errors import Conflict, NotFound
from api.storable import check_document
from definitions.catalog import EventTypeSpec, derived_kinds, parse_event_type
from storage.event_types import (
    delete_event_type,
    get_event_type,
    list_event_types,
    put_event_type,
    tenant_has_event_type,
)

router = APIRouter(prefix="/v1/event-types", tags=["event types"])

EventTypeName = Annotated[str, Path(min_length=1, max_length=200)]
Entry = Annotated[
    dict[str, Any],
    Body(
        description="type, description, schema (JSON Schema of data), derived "
        "(name → template), roles (organizer/invitee → template address)",
        examples=[
            {
                "type": "booking.created",
                "schema": {
                    "type": "object",
                    "properties": {"invitee_email": {"type": "string"}},
                    "required": ["invitee_email"],
                },
                "derived": {"invitee_domain": "{{ invitee_email | domain }}"},
                "roles": {"invitee": "{{ invitee_email }}"},
            }
        ],
    ),
]


@router.get("")
def list_all(tenant: CurrentTenant, session: SessionDep) -> list[dict[str, Any]]:
    """Every event type the tenant's events are checked against (``builtin`` marks the
    built-in entries)."""
    return [_public(spec) for spec in list_event_types(session, tenant)]


@router.post("", status_code=status.HTTP_201_CREATED)
def create(entry: Entry, tenant: CurrentTenant, session: SessionDep) -> dict[str, Any]:
    """A new entry; 409 when the tenant has one of that type (``PUT`` replaces it). An entry
    of a built-in type replaces the built-in one for this tenant."""
    spec = _parse(entry)
    if tenant_has_event_type(session, tenant, spec.type):
        raise Conflict(f"event type {spec.type!r} exists; PUT /v1/event-types/{spec.type}")
    put_event_type(session, tenant, spec)
    return _public(spec)


@router.get("/{event_type}")
def get_one(event_type: EventTypeName, tenant: CurrentTenant, session: SessionDep) -> Any:
    spec = get_event_type(session, tenant, event_type)
    if spec is None:
        raise NotFound("event type", event_type)
    return _public(spec)


@router.put("/{event_type}", responses={201: {"description": "created"}})
def replace(
    event_type: EventTypeName,
    entry: Entry,
    tenant: CurrentTenant,
    session: SessionDep,
    response: Response,
) -> dict[str, Any]:
    """Create or replace the tenant's entry (201 when created)."""
    spec = _parse(entry, event_type)
    if put_event_type(session, tenant, spec):
        response.status_code = status.HTTP_201_CREATED
    return _public(spec)


@router.delete("/{event_type}", status_code=status.HTTP_204_NO_CONTENT)
def delete(event_type: EventTypeName, tenant: CurrentTenant, session: SessionDep) -> None:
    """Remove the tenant's entry; a built-in entry of the type applies again. Built-in entries
    themselves cannot be deleted (404)."""
    if not delete_event_type(session, tenant, event_type):
        raise NotFound("event type", event_type)


def _public(spec: EventTypeSpec) -> dict[str, Any]:
    """The entry, and the kind of each derived field (for the builder's condition widget)."""
    return {**spec.public(), "derived_kinds": derived_kinds(spec)}


def _parse(entry: dict[str, Any], event_type: str | None = None) -> EventTypeSpec:
    check_document(entry)
    return parse_event_type(entry, event_type)
