"""Opaque keyset cursors: stable under inserts, unlike offsets."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any, TypeVar

from api.errors import ApiError

Ident = TypeVar("Ident", str, int)


def encode_cursor(when: datetime, ident: Any) -> str:
    raw = json.dumps([when.isoformat(), ident]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, ident_type: type[Ident]) -> tuple[datetime, Ident]:
    """The position a cursor encodes; 400 for anything this API could not have returned."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        when, ident = json.loads(base64.urlsafe_b64decode(padded))
        position = datetime.fromisoformat(when).astimezone(UTC)
        # bool is an int to Python but not an id to the database
        if type(ident) is not ident_type or (isinstance(ident, str) and "\x00" in ident):
            raise TypeError(f"cursor id {ident!r} is not a {ident_type.__name__}")
        return position, ident
    except (ValueError, TypeError, OverflowError) as exc:
        raise ApiError(400, "Invalid cursor", "the cursor is not one this API returned") from exc
