"""In-app notifications that ``notify`` steps store, per recipient; marked read by the app."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from api.deps import CurrentTenant, SessionDep
from api.errors import NotFound
from api.pagination import newest_first
from api.schemas import Page
from api.storable import Text
from storage.models import Notification
from storage.notifications import mark_read, notifications_query

router = APIRouter(prefix="/v1/notifications", tags=["notifications"])

NotificationId = Annotated[int, Path(ge=1, le=2**63 - 1)]


class NotificationOut(BaseModel):
    id: int
    recipient: str
    message: str
    link: str | None
    kind: str | None
    data: dict[str, Any] | None
    run_id: str | None
    read: bool
    read_at: datetime | None
    created_at: datetime


def notification_out(row: Notification) -> NotificationOut:
    return NotificationOut(
        id=row.id or 0,
        recipient=row.recipient,
        message=row.message,
        link=row.link,
        kind=row.kind,
        data=row.data,
        run_id=row.run_id,
        read=row.read_at is not None,
        read_at=row.read_at,
        created_at=row.created_at,
    )


@router.get("")
def list_(
    tenant: CurrentTenant,
    session: SessionDep,
    recipient: Text | None = None,
    unread: Annotated[bool | None, Query(description="true: unread only; false: read only")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Page[NotificationOut]:
    """The tenant's notifications, newest first."""
    query = notifications_query(tenant, recipient=recipient, unread=unread)
    rows, next_cursor = newest_first(
        session, query, (Notification.created_at, Notification.id), int, limit, cursor
    )
    return Page(items=[notification_out(row) for row in rows], next_cursor=next_cursor)


@router.post("/{id}/read")
def read(id: NotificationId, tenant: CurrentTenant, session: SessionDep) -> NotificationOut:
    row = mark_read(session, tenant, id)
    if row is None:
        raise NotFound("notification", str(id))
    return notification_out(row)
