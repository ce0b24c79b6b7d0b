"""Tenant secrets, encrypted at rest with Fernet under ``RELAY_SECRETS_KEY``.

Values are written and read back only here: the API stores and lists names, the worker decrypts
a tenant's secrets at activity time. ``RELAY_SECRETS_KEY`` may hold several keys separated by
commas: the first encrypts, any of them decrypts, so a key can be rotated without downtime.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from storage.db import session_scope
from storage.models import Secret

log = logging.getLogger(__name__)

NAME_PATTERN = re.compile(r"[A-Z0-9_]{1,64}")


class SecretsKeyError(ValueError):
    """``RELAY_SECRETS_KEY`` is not a valid Fernet key (list)."""


class SecretBox:
    """Encrypts and decrypts secret values with the configured key(s)."""

    def __init__(self, keys: str) -> None:
        parts = [part.strip() for part in keys.split(",") if part.strip()]
        try:
            self._fernet = MultiFernet([Fernet(part) for part in parts])
        except ValueError as exc:  # also raised for an empty list
            raise SecretsKeyError(
                "RELAY_SECRETS_KEY must be one or more Fernet keys (32 url-safe base64 bytes), "
                "separated by commas"
            ) from exc

    @staticmethod
    def generate_key() -> str:
        return Fernet.generate_key().decode("ascii")

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode("utf-8")).decode("ascii")

    def decrypt(self, token: str) -> str:
        """The value; raises ``cryptography.fernet.InvalidToken`` under a key that did not
        encrypt it."""
        return self._fernet.decrypt(token.encode("ascii")).decode("utf-8")


def put_secret(session: Session, box: SecretBox, tenant_id: str, name: str, value: str) -> None:
    """Create or replace the tenant's secret ``name``."""
    row = session.exec(
        select(Secret).where(Secret.tenant_id == tenant_id, Secret.name == name)
    ).first()
    if row is None:
        row = Secret(tenant_id=tenant_id, name=name, ciphertext="")
    row.ciphertext = box.encrypt(value)
    row.updated_at = datetime.now(UTC)
    session.add(row)


def list_secrets(
    session: Session, tenant_id: str, *, after: str | None = None, limit: int | None = None
) -> list[Secret]:
    """The tenant's secrets in name order, from the name after ``after`` (callers show names
    and dates, never ciphertexts)."""
    query = select(Secret).where(Secret.tenant_id == tenant_id)
    if after is not None:
        query = query.where(col(Secret.name) > after)
    return list(session.exec(query.order_by(col(Secret.name)).limit(limit)).all())


def delete_secret(session: Session, tenant_id: str, name: str) -> bool:
    """Whether there was such a secret to delete."""
    row = session.exec(
        select(Secret).where(Secret.tenant_id == tenant_id, Secret.name == name)
    ).first()
    if row is None:
        return False
    session.delete(row)
    return True


class SecretStore:
    """The worker's view: a tenant's secrets, decrypted (``activities.actions.SecretsLookup``).

    With ``fresh_for`` seconds, a tenant's secrets are read and decrypted at most that often
    (every ``http_request`` looks them up, for its signing secret, tenants without any
    included); a changed secret then reaches runs within that time."""

    def __init__(
        self,
        engine: Engine,
        box: SecretBox | None,
        fresh_for: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._engine = engine
        self._box = box
        self._fresh_for = fresh_for
        self._clock = clock
        self._cache: dict[str, tuple[float, dict[str, str]]] = {}

    def lookup(self, tenant_id: str) -> dict[str, str]:
        if self._box is None:
            return {}
        if self._fresh_for <= 0:
            return self._read(tenant_id)
        now = self._clock()
        cached = self._cache.get(tenant_id)
        if cached is None or cached[0] <= now:
            cached = (now + self._fresh_for, self._read(tenant_id))
            self._cache[tenant_id] = cached  # one assignment: safe across the activity threads
        return dict(cached[1])

    def _read(self, tenant_id: str) -> dict[str, str]:
        assert self._box is not None
        with session_scope(self._engine) as session:
            rows = list_secrets(session, tenant_id)
        values: dict[str, str] = {}
        for row in rows:
            try:
                values[row.name] = self._box.decrypt(row.ciphertext)
            except InvalidToken:
                # Written under a key that is no longer configured: unusable, so a step that
                # needs it fails as "unknown secret", and the operator learns why here.
                log.warning(
                    "secret %s of tenant %s cannot be decrypted with RELAY_SECRETS_KEY",
                    row.name,
                    tenant_id,
                )
        return values
