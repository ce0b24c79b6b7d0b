"""What each delivery sent, as sent: the rendered message kept with its delivery row.

A support agent asked "what did we send to this customer?" needs the email as it went out —
recipients, subject, text and HTML —, the SMS, the HTTP request. That is customer data, so it is
sealed with the tenant-secrets key (``storage.secrets.SecretBox``, ``RELAY_SECRETS_KEY``) when
the server has one, like the rest of what Relay must read back; without a key it is stored as
JSON, as event data and records are. It is never logged. The API shows it only to the roles
that see customer data (a viewer's copy is masked by ``api.masking``).
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import InvalidToken

from storage.secrets import SecretBox

SEALED = "fernet:"
"""Marks a sealed message; anything else stored is the message's JSON."""

MAX_TEXT = 100_000
"""Characters kept of each text (a body, an HTML part): a preview, not an archive."""


def seal(message: dict[str, Any], box: SecretBox | None) -> str:
    """``message`` (texts cut at ``MAX_TEXT``) as stored: sealed under ``box`` if given."""
    text = json.dumps(_bounded(message), ensure_ascii=False, default=str)
    return SEALED + box.encrypt(text) if box is not None else text


def unseal(stored: str | None, box: SecretBox | None) -> dict[str, Any] | None:
    """The message ``seal`` stored; None when none was, or when it was sealed under a key
    ``box`` does not hold (the key was retired, or this server has none)."""
    if not stored:
        return None
    if stored.startswith(SEALED):
        if box is None:
            return None
        try:
            stored = box.decrypt(stored.removeprefix(SEALED))
        except InvalidToken:
            return None
    value = json.loads(stored)
    return value if isinstance(value, dict) else None


def _bounded(value: Any) -> Any:
    if isinstance(value, str):
        return value if len(value) <= MAX_TEXT else value[:MAX_TEXT] + "… (cut)"
    if isinstance(value, dict):
        return {str(k): _bounded(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_bounded(item) for item in value]
    return value
