"""Incoming webhooks: a per-workflow URL whose request body is the triggering event.

``POST /v1/workflows/{id}/hook`` issues (or rotates) the URL's token and, with ``signed``, a
signing secret; both are shown once. A signed hook checks ``X-Relay-Timestamp`` and
``X-Relay-Signature: v1=<hex HMAC-SHA256(secret, "<timestamp>." + body)>`` — the scheme Relay
signs its own outbound calls with (``activities.signing``). A wrong token is 404 and a bad
signature 401, and neither starts anything.
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import partial
from typing import Any

from cryptography.fernet import InvalidToken
from fastapi import APIRouter, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import Session

from activities.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from api.deps import ApiDeps, CurrentTenant, Deps, SessionDep
from api.errors import ApiError, Conflict, NotFound
from api.routes.events import checked_specs
from api.routes.workflows import find_workflow
from api.schemas.events import EventAccepted, EventIn, parse_events
from runs.intake import Addressed, accept_addressed, paced
from storage.hooks import delete_hook, get_hook, hooked_workflow, issue_hook
from storage.models import WorkflowVersion

router = APIRouter(tags=["webhooks"])

MAX_BODY = 1_000_000
"""Bytes an incoming webhook body may have."""
IDEMPOTENCY_HEADER = "Idempotency-Key"
"""A sender's delivery id: the event id, so a redelivered webhook starts nothing new."""


class HookIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    signed: bool = Field(
        default=False, description="require a signature made with a secret issued now"
    )


class HookIssued(BaseModel):
    url: str = Field(description="POST the event's data here; the token is shown only now")
    token: str
    secret: str | None = Field(
        default=None, description="signs requests (X-Relay-Signature); shown only now"
    )
    signature_headers: list[str] = Field(default_factory=list)


class HookOut(BaseModel):
    workflow_id: str
    signed: bool
    created_at: datetime


@router.post("/v1/workflows/{workflow_id}/hook", status_code=status.HTTP_201_CREATED)
def issue(
    workflow_id: str, tenant: CurrentTenant, session: SessionDep, deps: Deps, body: HookIn
) -> HookIssued:
    """Issue the workflow's webhook URL, replacing (rotating) any earlier token and secret."""
    workflow = find_workflow(session, tenant, workflow_id)
    if body.signed and deps.secrets is None:
        raise Conflict("signed webhooks need RELAY_SECRETS_KEY, which encrypts their secrets")
    token, secret = issue_hook(session, tenant, workflow.id, deps.secrets if body.signed else None)
    return HookIssued(
        url=f"/v1/hooks/{workflow.id}/{token}",
        token=token,
        secret=secret,
        signature_headers=[TIMESTAMP_HEADER, SIGNATURE_HEADER] if secret else [],
    )


@router.get("/v1/workflows/{workflow_id}/hook")
def show(workflow_id: str, tenant: CurrentTenant, session: SessionDep) -> HookOut:
    """Whether the workflow has a webhook URL and whether it must be signed (never the token)."""
    workflow = find_workflow(session, tenant, workflow_id)
    hook = get_hook(session, tenant, workflow.id)
    if hook is None:
        raise NotFound("webhook of workflow", workflow_id)
    return HookOut(
        workflow_id=workflow.id,
        signed=hook.secret_ciphertext is not None,
        created_at=hook.created_at,
    )


@router.delete("/v1/workflows/{workflow_id}/hook", status_code=status.HTTP_204_NO_CONTENT)
def remove(workflow_id: str, tenant: CurrentTenant, session: SessionDep) -> None:
    workflow = find_workflow(session, tenant, workflow_id)
    if not delete_hook(session, tenant, workflow.id):
        raise NotFound("webhook of workflow", workflow_id)


@router.post(
    "/v1/hooks/{workflow_id}/{token}",
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}}
    },
)
async def receive(workflow_id: str, token: str, request: Request, deps: Deps) -> EventAccepted:
    """The body (a JSON object) is the event's data; its type is the workflow's trigger event
    (``webhook`` for a webhook trigger). No API key: the token is the credential."""
    body = await request.body()
    if len(body) > MAX_BODY:
        raise ApiError(413, "Payload too large", f"a webhook body is at most {MAX_BODY} bytes")
    hooked = partial(_hooked_event, workflow_id, token, request, body, deps)
    await paced(deps)
    return EventAccepted.model_validate(await accept_addressed(deps, hooked))


def _hooked_event(
    workflow_id: str, token: str, request: Request, body: bytes, deps: ApiDeps, session: Session
) -> Addressed:
    """The body as the event of the workflow the token opens (checked against its type's
    catalog entry), read in the transaction that stores it; 404 for any wrong part, 401 for a
    bad signature."""
    found = hooked_workflow(session, workflow_id, token)
    if found is None:
        raise NotFound("webhook", workflow_id)  # the same answer for any wrong part
    hook, workflow, version = found
    secret = hook.secret_ciphertext
    if secret is not None and not _signed(deps, secret, request, body):
        raise ApiError(401, "Invalid signature", f"{SIGNATURE_HEADER} does not match the body")
    # Checked as POST /v1/events checks an event: shape first, then its type's schema.
    event = parse_events(
        {
            "type": _event_type(version),
            "id": request.headers.get(IDEMPOTENCY_HEADER),
            "data": _data(body),
        }
    )
    assert isinstance(event, EventIn)  # an object is one event
    spec = checked_specs(session, workflow.tenant_id, [event])[event.type]
    # Only an active workflow listens; ``version`` is then its active version.
    active = workflow.status == "active" and workflow.active_version is not None
    listeners = [(workflow, version)] if active and version is not None else []
    return Addressed(workflow.tenant_id, event.trigger_event(), spec, listeners)


def _signed(deps: ApiDeps, ciphertext: str, request: Request, body: bytes) -> bool:
    if deps.secrets is None:
        return False  # the key that encrypted the secret is gone: refuse rather than accept
    try:
        secret = deps.secrets.decrypt(ciphertext)
    except InvalidToken:
        return False
    return verify(secret, request.headers, body)


def _event_type(version: WorkflowVersion | None) -> str:
    trigger = (version.definition if version else {}).get("trigger") or {}
    event = trigger.get("event")
    return event if isinstance(event, str) and "*" not in event else "webhook"


def _data(body: bytes) -> Any:
    if not body.strip():
        return {}
    try:
        return json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise ApiError(422, "Invalid request", "the body is not a JSON object") from exc
