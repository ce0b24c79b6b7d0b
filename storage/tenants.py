"""Tenants and their API keys. Keys are shown once, at creation; only their hash is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from storage.db import param
from storage.models import ApiKey, Tenant

KEY_PREFIX = "rly_"
ADMIN = "admin"
LAST_USED_RESOLUTION = timedelta(minutes=1)
"""``last_used_at`` is written at most this often per key, so reads stay reads."""


def hash_key(key: str) -> str:
    # API keys are long random tokens, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(key.encode()).hexdigest()


def create_tenant(session: Session, name: str, tenant_id: str | None = None) -> tuple[Tenant, str]:
    """A new tenant and its first API key, an admin key (returned in clear, once)."""
    tenant = Tenant(id=tenant_id or f"t_{uuid.uuid4().hex[:16]}", name=name)
    session.add(tenant)
    session.flush()
    return tenant, issue_key(session, tenant.id)


_NAME = select(Tenant.name).where(Tenant.id == param(Tenant.id, "tenant"))
"""Built once (``storage.db.param``): every run started reads it."""


def tenant_profile(session: Session, tenant_id: str) -> dict[str, Any]:
    """What templates read of the tenant (``{{ tenant.name }}``); empty for an unknown id (the
    system's own workflows)."""
    name = session.exec(_NAME, params={"tenant": tenant_id}).first()
    return {} if name is None else {"name": name}


def issue_key(
    session: Session,
    tenant_id: str,
    *,
    name: str = "default",
    role: str = ADMIN,
    expires_at: datetime | None = None,
) -> str:
    """A new key of ``tenant_id`` (returned in clear, once); see ``new_key`` for its row."""
    return new_key(session, tenant_id, name=name, role=role, expires_at=expires_at)[1]


def new_key(
    session: Session,
    tenant_id: str,
    *,
    name: str = "default",
    role: str = ADMIN,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    """A new key's row and the key in clear (the only time it exists outside its holder)."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiKey(
        id=f"k_{uuid.uuid4().hex[:16]}",
        tenant_id=tenant_id,
        key_hash=hash_key(key),
        prefix=key[:8],
        name=name,
        role=role,
        expires_at=expires_at,
    )
    session.add(row)
    session.flush()
    return row, key


def key_for(session: Session, key: str, now: datetime | None = None) -> ApiKey | None:
    """The live (not revoked, not expired) key row for ``key``, or None.

    The row is found by the key's SHA-256, which leaks nothing about the key through timing
    (an attacker cannot choose hash prefixes); the stored hash is then compared in constant
    time all the same, so no path compares the secret byte by byte."""
    digest = hash_key(key)
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == digest)).first()
    matched = hmac.compare_digest(row.key_hash if row else "0" * 64, digest)
    if row is None or not matched or row.revoked_at is not None:
        return None
    now = now or datetime.now(UTC)
    if row.expires_at is not None and row.expires_at <= now:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
        session.add(row)
    return row


def tenant_for_key(session: Session, key: str) -> str | None:
    row = key_for(session, key)
    return row.tenant_id if row is not None else None


def list_keys(session: Session, tenant_id: str) -> list[ApiKey]:
    """The tenant's keys, revoked ones included, oldest first."""
    query = select(ApiKey).where(ApiKey.tenant_id == tenant_id)
    return list(session.exec(query.order_by(col(ApiKey.created_at), col(ApiKey.id))))


def revoke_key_id(session: Session, tenant_id: str, key_id: str) -> ApiKey | None:
    """Revoke the tenant's key ``key_id``; None if it has no such key."""
    row = session.get(ApiKey, key_id)
    if row is None or row.tenant_id != tenant_id:
        return None
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.add(row)
    return row


def revoke_key(session: Session, key: str) -> None:
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(key))).first()
    if row is not None:
        row.revoked_at = datetime.now(UTC)
        session.add(row)
