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

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from storage.db import param
from storage.models import Workflow, WorkflowHook, WorkflowVersion
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


_HOOKED = (
    select(WorkflowHook, Workflow, WorkflowVersion)
    .join(Workflow, col(Workflow.id) == WorkflowHook.workflow_id)
    .outerjoin(
        WorkflowVersion,
        and_(
            col(WorkflowVersion.workflow_id) == Workflow.id,
            col(WorkflowVersion.version)
            == func.coalesce(Workflow.active_version, Workflow.latest_version),
        ),
    )
    .where(col(WorkflowHook.workflow_id) == param(WorkflowHook.workflow_id, "hooked"))
)


def hooked_workflow(
    session: Session, workflow_id: str, token: str
) -> tuple[WorkflowHook, Workflow, WorkflowVersion | None] | None:
    """The workflow's hook when ``token`` is its token (compared in constant time), with the
    workflow and its active version (else its latest, which names the event's type for a
    workflow not active): one trip to the database, as every incoming webhook asks for them."""
    found = session.exec(_HOOKED, params={"hooked": workflow_id}).first()
    if found is None or not hmac.compare_digest(found[0].token_hash, token_hash(token)):
        return None
    return found[0], found[1], found[2]


def delete_hook(session: Session, tenant_id: str, workflow_id: str) -> bool:
    hook = get_hook(session, tenant_id, workflow_id)
    if hook is None:
        return False
    session.delete(hook)
    return True
