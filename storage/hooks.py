"""Workflows' incoming-webhook tokens and signing secrets.

The token is a bearer credential in a URL: only its SHA-256 is stored, and checked in constant
time. The signing secret must be read back to check signatures, so it is encrypted with the
tenant-secrets key (``storage.secrets.SecretBox``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime

from sqlmodel import Session

from storage.models import WorkflowHook
from storage.secrets import SecretBox


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def issue_hook(
    session: Session, tenant_id: str, workflow_id: str, box: SecretBox | None
) -> tuple[str, str | None]:
    """A new token (and, with ``box``, a new signing secret) for the workflow, replacing any
    earlier ones; returns them — the only time they are shown."""
    token = secrets.token_urlsafe(32)
    secret = f"whsec_{secrets.token_urlsafe(32)}" if box is not None else None
    hook = session.get(WorkflowHook, workflow_id) or WorkflowHook(
        workflow_id=workflow_id, tenant_id=tenant_id, token_hash=""
    )
    hook.token_hash = token_hash(token)
    hook.secret_ciphertext = box.encrypt(secret) if box is not None and secret else None
    hook.created_at = datetime.now(UTC)
    session.add(hook)
    session.flush()
    return token, secret


def get_hook(session: Session, tenant_id: str, workflow_id: str) -> WorkflowHook | None:
    hook = session.get(WorkflowHook, workflow_id)
    return hook if hook is not None and hook.tenant_id == tenant_id else None


def hook_for_token(session: Session, workflow_id: str, token: str) -> WorkflowHook | None:
    """The workflow's hook when ``token`` is its token (compared in constant time)."""
    hook = session.get(WorkflowHook, workflow_id)
    if hook is None or not hmac.compare_digest(hook.token_hash, token_hash(token)):
        return None
    return hook


def delete_hook(session: Session, tenant_id: str, workflow_id: str) -> bool:
    hook = get_hook(session, tenant_id, workflow_id)
    if hook is None:
        return False
    session.delete(hook)
    return True
