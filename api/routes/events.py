"""Incoming events: each starts one run per matching active workflow."""

from __future__ import annotations

from fastapi import APIRouter, status

from api.deps import CurrentTenant, Deps
from api.schemas import EventAccepted, EventIn
from api.starter import accept_event

router = APIRouter(prefix="/v1/events", tags=["events"])


@router.post("", status_code=status.HTTP_202_ACCEPTED)
async def post_events(
    body: EventIn | list[EventIn], tenant: CurrentTenant, deps: Deps
) -> EventAccepted | list[EventAccepted]:
    """One event, or a list of them (answered in the same order)."""
    if isinstance(body, list):
        return [await accept_event(deps, tenant, event) for event in body]
    return await accept_event(deps, tenant, body)
