"""Deliveries: every message a run's steps sent (email, SMS, HTTP…), newest first, with what
was sent (``storage.sent_messages``; a viewer's copy is masked by ``api.masking``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlmodel import select

from api.deps import CurrentTenant, Deps, SessionDep
from api.pagination import newest_first
from api.schemas import Page
from api.schemas.runs import DeliveryOut, SentMessage
from api.storable import Text
from storage.models import Delivery
from storage.secrets import SecretBox
from storage.sent_messages import unseal

router = APIRouter(tags=["runs"])

Limit = Annotated[int, Query(ge=1, le=200)]


@router.get("/v1/deliveries")
def list_deliveries(
    tenant: CurrentTenant,
    session: SessionDep,
    deps: Deps,
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
    return Page(items=[delivery_out(r, deps.secrets) for r in rows], next_cursor=next_cursor)


def delivery_out(row: Delivery, box: SecretBox | None) -> DeliveryOut:
    message = unseal(row.message, box)
    return DeliveryOut.model_validate(
        {
            **row.model_dump(exclude={"message"}),
            "message": None if message is None else SentMessage.model_validate(message),
        }
    )
