"""Incoming events: each starts one run per matching active workflow."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, status

from api.deps import CurrentTenant, Deps
from api.schemas import EVENTS_SCHEMA, EventAccepted, parse_events
from api.starter import accept_event

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.post("", status_code=status.HTTP_202_ACCEPTED)
async def post_events(
    body: Annotated[Any, Body(json_schema_extra=EVENTS_SCHEMA)], tenant: CurrentTenant, deps: Deps
) -> EventAccepted | list[EventAccepted]:
    """One event, or a list of them (answered in the same order)."""
    events = parse_events(body)
    if isinstance(events, list):
        return [await accept_event(deps, tenant, event) for event in events]
    return await accept_event(deps, tenant, events)
