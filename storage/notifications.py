"""In-app notifications: stored per tenant and recipient, read and marked read through the API."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.models import Notification
from storage.upsert import upsert


def notify(
    session: Session,
    tenant_id: str,
    recipient: str,
    message: str,
    *,
    link: str | None = None,
    kind: str | None = None,
    data: dict[str, Any] | None = None,
    run_id: str | None = None,
    key: str | None = None,
) -> Notification:
    """Store a notification; with an idempotency ``key``, at most one per key (a retried step
    finds the one it stored)."""
    values: dict[str, Any] = {
        "tenant_id": tenant_id,
        "recipient": recipient,
        "message": message,
        "link": link,
        "kind": kind,
        "data": data,
        "run_id": run_id,
        "idempotency_key": key,
        "created_at": datetime.now(UTC),
    }
    if key is None:
        row = Notification(**values)
        session.add(row)
        session.flush()
        return row
    upsert(session, Notification, values, ["tenant_id", "idempotency_key"])
    stored = session.exec(
        select(Notification).where(
            Notification.tenant_id == tenant_id, Notification.idempotency_key == key
        )
    ).one()
    return stored


def notifications_query(
    tenant_id: str, *, recipient: str | None = None, unread: bool | None = None
) -> SelectOfScalar[Notification]:
    query = select(Notification).where(Notification.tenant_id == tenant_id)
    if recipient is not None:
        query = query.where(Notification.recipient == recipient)
    if unread is True:
        query = query.where(col(Notification.read_at).is_(None))
    elif unread is False:
        query = query.where(col(Notification.read_at).is_not(None))
    return query


def mark_read(session: Session, tenant_id: str, notification_id: int) -> Notification | None:
    """The notification, read (its first read time kept); None if the tenant has no such one."""
    row = session.get(Notification, notification_id)
    if row is None or row.tenant_id != tenant_id:
        return None
    if row.read_at is None:
        row.read_at = datetime.now(UTC)
        session.add(row)
    return row
