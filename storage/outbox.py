"""The outbox: intents committed with the change that makes them, carried out after the commit
and — when that fails or the process dies first — by any worker's recoverer.

Several recoverers may run at once (one per worker process): a row is *claimed* with a lease
(``claim``) in one conditional UPDATE, so only one of them carries it out at a time, and a
recoverer that dies leaves the row to another once its lease has passed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, update
from sqlmodel import Session, col, select

from storage.db import UNSYNCHRONIZED, param, write
from storage.models import Outbox, utcnow
from storage.upsert import upsert


def add_intent(
    session: Session,
    tenant_id: str,
    kind: str,
    key: str,
    payload: dict[str, Any],
    *,
    due_at: datetime | None = None,
) -> None:
    """Record the intent (once per ``(kind, key)``) in the caller's transaction."""
    now = utcnow()
    upsert(
        session,
        Outbox,
        {
            "tenant_id": tenant_id,
            "kind": kind,
            "key": key,
            "payload": payload,
            "status": "pending",
            "attempts": 0,
            "due_at": due_at or now,
            "created_at": now,
        },
        ["kind", "key"],
    )


_SETTLE = (
    update(Outbox)
    .where(
        col(Outbox.kind) == param(Outbox.kind, "intent_kind"),
        col(Outbox.key) == param(Outbox.key, "intent_key"),
        col(Outbox.status) == "pending",
    )
    .values(
        status=param(Outbox.status, "outcome"),
        last_error=param(Outbox.last_error, "error"),
        claimed_by=None,
        claimed_until=None,
    )
    .execution_options(**UNSYNCHRONIZED)
)


def settle(session: Session, kind: str, key: str, *, error: str | None = None) -> None:
    """The intent is carried out (``done``) — or given up with ``error`` (``failed``)."""
    outcome = {"outcome": "failed" if error else "done", "error": error[:2000] if error else None}
    write(session, _SETTLE, {"intent_kind": kind, "intent_key": key, **outcome})


def claim(
    session: Session,
    owner: str,
    now: datetime,
    lease: timedelta,
    limit: int,
    tenant_id: str | None = None,
) -> list[Outbox]:
    """Claim up to ``limit`` due intents (of ``tenant_id`` only, if given) for ``owner`` until
    ``now + lease``; each is claimed by one owner only (the UPDATE re-checks that no live lease
    holds it)."""
    free = or_(col(Outbox.claimed_until).is_(None), col(Outbox.claimed_until) < now)
    due = and_(col(Outbox.status) == "pending", col(Outbox.due_at) <= now, free)
    if tenant_id is not None:
        due = and_(due, col(Outbox.tenant_id) == tenant_id)
    candidates = list(
        session.exec(select(Outbox.id).where(due).order_by(col(Outbox.due_at)).limit(limit))
    )
    if not candidates:
        return []
    until = now + lease
    session.execute(
        update(Outbox)
        .where(col(Outbox.id).in_(candidates), due)
        .values(claimed_by=owner, claimed_until=until, attempts=Outbox.attempts + 1)
    )
    session.flush()
    return list(
        session.exec(
            select(Outbox).where(
                col(Outbox.id).in_(candidates),
                col(Outbox.claimed_by) == owner,
                col(Outbox.claimed_until) == until,
            )
        )
    )


def release(session: Session, row_id: int, error: str, due_at: datetime) -> None:
    """Give a claimed intent back, to be tried again at ``due_at``."""
    session.execute(
        update(Outbox)
        .where(col(Outbox.id) == row_id, col(Outbox.status) == "pending")
        .values(claimed_by=None, claimed_until=None, due_at=due_at, last_error=error[:2000])
        .execution_options(**UNSYNCHRONIZED)
    )


def retry_soon(session: Session, kind: str, key: str, error: str, due_at: datetime) -> None:
    """The first attempt at a pending intent failed: due at ``due_at``, saying why."""
    session.execute(
        update(Outbox)
        .where(col(Outbox.kind) == kind, col(Outbox.key) == key, col(Outbox.status) == "pending")
        .values(due_at=due_at, last_error=error[:2000])
        .execution_options(**UNSYNCHRONIZED)
    )


def pending(
    session: Session, kind: str | None = None, tenant_id: str | None = None
) -> list[Outbox]:
    """The intents not yet carried out (for tests and operators)."""
    query = select(Outbox).where(col(Outbox.status) == "pending")
    if tenant_id is not None:
        query = query.where(col(Outbox.tenant_id) == tenant_id)
    if kind is not None:
        query = query.where(col(Outbox.kind) == kind)
    return list(session.exec(query.order_by(col(Outbox.id))))


def is_pending(session: Session, kind: str, key: str) -> bool:
    return (
        session.exec(
            select(Outbox.id).where(
                col(Outbox.kind) == kind, col(Outbox.key) == key, col(Outbox.status) == "pending"
            )
        ).first()
        is not None
    )


def find_intent(session: Session, kind: str, key: str) -> Outbox | None:
    return session.exec(
        select(Outbox).where(col(Outbox.kind) == kind, col(Outbox.key) == key)
    ).first()
