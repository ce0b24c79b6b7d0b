"""Tenants and their API keys. Keys are shown once, at creation; only their hash is stored."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import UTC, datetime

from sqlmodel import Session, select

from storage.models import ApiKey, Tenant

KEY_PREFIX = "rly_"


def hash_key(key: str) -> str:
    # API keys are long random tokens, so a fast hash is enough (no dictionary to attack).
    return hashlib.sha256(key.encode()).hexdigest()


def create_tenant(session: Session, name: str, tenant_id: str | None = None) -> tuple[Tenant, str]:
    """A new tenant and its first API key (returned in clear, once)."""
    tenant = Tenant(id=tenant_id or f"t_{uuid.uuid4().hex[:16]}", name=name)
    session.add(tenant)
    session.flush()
    return tenant, issue_key(session, tenant.id)


def issue_key(session: Session, tenant_id: str) -> str:
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(
        ApiKey(
            id=f"k_{uuid.uuid4().hex[:16]}",
            tenant_id=tenant_id,
            key_hash=hash_key(key),
            prefix=key[:8],
        )
    )
    return key


def tenant_for_key(session: Session, key: str) -> str | None:
    row = session.exec(
        select(ApiKey).where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))  # type: ignore[union-attr]
    ).first()
    return row.tenant_id if row is not None else None


def revoke_key(session: Session, key: str) -> None:
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_key(key))).first()
    if row is not None:
        row.revoked_at = datetime.now(UTC)
        session.add(row)
