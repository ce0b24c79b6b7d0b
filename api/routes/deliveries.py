"""Deliveries: every message a run's steps sent (email, SMS, HTTP…), newest first."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import select

from api.deps import CurrentTenant, SessionDep
from api.pagination import newest_first
from api.schemas import Page
from api.schemas.runs import DeliveryOut
from api.storable import Text
from storage.models import Delivery

router = APIRouter(tags=["runs"])

Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("/v1/deliveries")
def list_deliveries(
    tenant: CurrentTenant,
    session: SessionDep,
    run_id: Text | None = None,
    channel: Text | None = None,
    limit: Limit = 50,
    cursor: str | None = None,
) -> Page[DeliveryOut]:
    query = select(Delivery).where(Delivery.tenant_id == tenant)
    if run_id:
        query = query.where(Delivery.run_id == run_id)
    if channel:
        query = query.where(Delivery.channel == channel)
    rows, next_cursor = newest_first(
        session, query, (Delivery.created_at, Delivery.id), int, limit, cursor
    )
    return Page(
        items=[DeliveryOut.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=next_cursor,
    )
