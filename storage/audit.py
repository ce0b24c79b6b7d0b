"""The audit log: every change made through the API, with who made it and from where."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who made a change: the key (id and name) and where the request came from."""

    tenant_id: str
    key_id: str
    key_name: str
    client: str | None = None
    user_agent: str | None = None


def record(
    session: Session,
    actor: Actor,
    action: str,
    target_type: str | None = None,
    target_id: str | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        tenant_id=actor.tenant_id,
        key_id=actor.key_id,
        key_name=actor.key_name,
        action=action,
        target_type=target_type,
        target_id=target_id,
        detail=detail or None,
        client=actor.client,
        user_agent=(actor.user_agent or "")[:300] or None,
    )
    session.add(entry)
    return entry


def audit_query(
    tenant_id: str,
    *,
    action: str | None = None,
    key_id: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> SelectOfScalar[AuditEntry]:
    """The tenant's entries matching every filter given (``action`` may end in ``*``:
    ``workflow.*``)."""
    query = select(AuditEntry).where(AuditEntry.tenant_id == tenant_id)
    if action:
        if action.endswith("*"):
            query = query.where(col(AuditEntry.action).startswith(action[:-1], autoescape=True))
        else:
            query = query.where(AuditEntry.action == action)
    if key_id:
        query = query.where(AuditEntry.key_id == key_id)
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id:
        query = query.where(AuditEntry.target_id == target_id)
    if since:
        query = query.where(col(AuditEntry.at) >= since)
    if until:
        query = query.where(col(AuditEntry.at) < until)
    return query


def entries_about(
    session: Session, tenant_id: str, target_type: str, target_id: str
) -> list[AuditEntry]:
    """What was done to one object, oldest first."""
    query = audit_query(tenant_id, target_type=target_type, target_id=target_id)
    return list(session.exec(query.order_by(col(AuditEntry.at), col(AuditEntry.id))))
