"""Signed, expiring links to what Relay emails people (export downloads).

A person who receives an export by email has no API key; the link carries its own proof
instead: an HMAC-SHA256 over (what, tenant, id, expiry) under ``RELAY_LINK_KEY``. Changing any
part of the link, or following it after its expiry, fails the check (403). The expiry is part
of what is signed, so it cannot be extended; rotating the key invalidates every link issued.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime


def signature(key: bytes, kind: str, tenant_id: str, ident: str, expires: int) -> str:
    message = f"{kind}\n{tenant_id}\n{ident}\n{expires}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def export_link(
    public_url: str, key: bytes, tenant_id: str, export_id: str, expires_at: datetime
) -> str:
    """The export's download URL that needs no API key, valid until ``expires_at``."""
    expires = int(expires_at.timestamp())
    sig = signature(key, "export", tenant_id, export_id, expires)
    base = public_url.rstrip("/")
    return f"{base}/v1/exports/{export_id}/file?expires={expires}&signature={sig}"


def valid(
    key: bytes,
    kind: str,
    tenant_id: str,
    ident: str,
    expires: int,
    given: str,
    now: datetime | None = None,
) -> bool:
    """Whether ``given`` signs (kind, tenant, id, expires) and the link has not expired."""
    expected = signature(key, kind, tenant_id, ident, expires)
    matches = hmac.compare_digest(expected.encode(), given.encode())
    return matches and (now or datetime.now(UTC)).timestamp() < expires
