"""The HMAC-SHA256 signature Relay puts on outbound HTTP requests, and how to check one.

``X-Relay-Timestamp: <unix seconds>`` and ``X-Relay-Signature: v1=<hex>``, where ``<hex>`` is
``HMAC-SHA256(secret, f"{timestamp}.".encode() + body)`` over the exact body bytes sent (empty
for a request without a body). Signing the timestamp lets a receiver refuse replays.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Mapping

TIMESTAMP_HEADER = "X-Relay-Timestamp"
SIGNATURE_HEADER = "X-Relay-Signature"
SIGNING_SECRET_NAME = "RELAY_SIGNING_SECRET"
"""The tenant secret that, when set, signs the tenant's ``http_request`` calls."""


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """``v1=<hex HMAC-SHA256(secret, "<timestamp>." + body)>``."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def signature_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance: float = 300,
    now: float | None = None,
) -> bool:
    """What a receiver does: recompute, compare in constant time, refuse stale timestamps.

    ``headers`` must be looked up case-insensitively (pass lower-cased names or a
    case-insensitive headers object: aiohttp's, httpx's, starlette's).
    """
    lowered = {name.lower(): value for name, value in headers.items()}
    try:
        timestamp = int(lowered[TIMESTAMP_HEADER.lower()])
    except (KeyError, ValueError):
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected, lowered.get(SIGNATURE_HEADER.lower(), ""))
