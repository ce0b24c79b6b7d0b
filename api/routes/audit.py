"""The audit log: who changed what, when and from where (admin keys only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from api.deps import CurrentTenant, SessionDep
from api.pagination import newest_first
from api.schemas import Page
from api.storable import Text
from storage.audit import audit_query
from storage.models import AuditEntry

router = APIRouter(prefix="/v1/audit", tags=["audit"])


class Actor(BaseModel):
    key_id: str
    key_name: str
    client: str | None = Field(description="the client's address")
    user_agent: str | None


class AuditOut(BaseModel):
    id: int
    at: datetime
    action: str = Field(examples=["workflow.activated"])
    target_type: str | None = Field(examples=["workflow"])
    target_id: str | None
    detail: dict[str, Any] | None = Field(description="e.g. the version a change made")
    by: Actor


def audit_out(row: AuditEntry) -> AuditOut:
    assert row.id is not None
    return AuditOut(
        id=row.id,
        at=row.at,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        detail=row.detail,
        by=Actor(
            key_id=row.key_id, key_name=row.key_name, client=row.client, user_agent=row.user_agent
        ),
    )


@router.get("")
def list_(
    tenant: CurrentTenant,
    session: SessionDep,
    action: Annotated[
        Text | None, Query(description="an action, or a prefix: `workflow.*`")
    ] = None,
    key_id: Text | None = None,
    target_type: Text | None = None,
    target_id: Text | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Page[AuditOut]:
    """The tenant's audit log, newest first."""
    query = audit_query(
        tenant,
        action=action,
        key_id=key_id,
        target_type=target_type,
        target_id=target_id,
        since=since,
        until=until,
    )
    rows, next_cursor = newest_first(
        session, query, (AuditEntry.at, AuditEntry.id), int, limit, cursor
    )
    return Page(items=[audit_out(row) for row in rows], next_cursor=next_cursor)
