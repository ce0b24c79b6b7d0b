"""Recent events with what each did to the workflows listening to its type, and a sample of an
event type's data — what the console's Events page shows and prefills its test form with."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field
from sqlmodel import col, select

from api.deps import CurrentTenant, SessionDep
from api.errors import NotFound
from api.pagination import newest_first
from api.schemas import Page
from api.schemas.events import OutcomeOut
from api.storable import Text
from definitions.sample_data import sample_from_schema
from storage.event_types import get_event_type
from storage.models import Event, EventOutcome

router = APIRouter(tags=["events"])


class EventSummary(BaseModel):
    id: str
    type: str
    entity: str | None
    occurred_at: datetime
    received_at: datetime
    outcomes: list[OutcomeOut] = Field(
        description="per workflow listening to its type: what the event did to it (empty: "
        "no active workflow listened)"
    )


@router.get("/v1/events")
def recent_events(
    tenant: CurrentTenant,
    session: SessionDep,
    type: Text | None = None,
    entity: Text | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Page[EventSummary]:
    """Events as received, newest first, each with its outcomes (``GET /v1/events/{id}`` adds
    its data)."""
    query = select(Event).where(Event.tenant_id == tenant)
    if type:
        query = query.where(Event.type == type)
    if entity:
        query = query.where(Event.entity == entity)
    rows, next_cursor = newest_first(
        session, query, (Event.received_at, Event.id), int, limit, cursor
    )
    outcomes: dict[str, list[OutcomeOut]] = {row.event_id: [] for row in rows}
    if rows:
        found = session.exec(
            select(EventOutcome)
            .where(EventOutcome.tenant_id == tenant, col(EventOutcome.event_id).in_(outcomes))
            .order_by(col(EventOutcome.id))
        )
        for o in found:
            outcomes[o.event_id].append(
                OutcomeOut(
                    workflow_id=o.workflow_id, outcome=o.outcome, run_id=o.run_id, detail=o.detail
                )
            )
    items = [
        EventSummary(
            id=row.event_id,
            type=row.type,
            entity=row.entity,
            occurred_at=row.occurred_at,
            received_at=row.received_at,
            outcomes=outcomes[row.event_id],
        )
        for row in rows
    ]
    return Page(items=items, next_cursor=next_cursor)


class EventSample(BaseModel):
    type: str
    data: Any = Field(description="data that the event type's schema accepts")


@router.get("/v1/event-types/{event_type}/sample")
def event_sample(
    event_type: Annotated[str, Path(min_length=1, max_length=200)],
    tenant: CurrentTenant,
    session: SessionDep,
) -> EventSample:
    """Sample data for a test event of ``event_type``, built from its catalog schema."""
    spec = get_event_type(session, tenant, event_type)
    if spec is None:
        raise NotFound("event type", event_type)
    data = sample_from_schema(spec.schema_, "data") if spec.schema_ else {}
    return EventSample(type=event_type, data=data if isinstance(data, dict) else {})
