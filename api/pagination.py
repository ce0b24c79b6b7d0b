"""Opaque keyset cursors: stable under inserts, unlike offsets."""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any

from api.errors import ApiError


def encode_cursor(when: datetime, ident: Any) -> str:
    raw = json.dumps([when.isoformat(), ident]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        when, ident = json.loads(base64.urlsafe_b64decode(padded))
        return datetime.fromisoformat(when), ident
    except (ValueError, TypeError) as exc:
        raise ApiError(400, "Invalid cursor", "the cursor is not one this API returned") from exc
