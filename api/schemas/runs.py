"""Runs: a run started, a run and its steps, retries, deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.storable import Key


class RunStarted(BaseModel):
    # Serialises ``runs.starting.Started`` (no docstring: it would change the OpenAPI document).
    model_config = ConfigDict(from_attributes=True)

    id: str
    workflow_id: str
    version: int
    status: str = Field(
        description="'started', 'duplicate' when this event already started it, or 'pending' "
        "when Temporal could not take the start now (a worker's recoverer starts it)"
    )


class StepOut(BaseModel):
    node_id: str
    step_key: str | None = Field(
        default=None, description="unique in the run: node id, loop index [i], pass #n"
    )
    type: str
    status: str
    attempts: int
    started_at: datetime | None
    completed_at: datetime | None
    duration_ms: int | None = Field(default=None, description="completed_at - started_at")
    output: Any = Field(description="secrets masked; long texts and lists truncated")
    error: dict[str, Any] | None = Field(
        description="type, message and retryable (whether retrying could have helped)"
    )


class ControlOut(BaseModel):
    """A change made to a run through the API (the audit log's entry about it)."""

    action: str = Field(examples=["run.cancelled", "run.retried"])
    at: datetime
    key_id: str
    key_name: str
    detail: dict[str, Any] | None = None


class VersionMoveOut(BaseModel):
    """The run moved to another version of its workflow (a migration)."""

    from_version: int
    to_version: int
    node_id: str | None = Field(description="where the run was")
    continues_at: str | None = Field(description="where it went on in to_version")
    migration_id: str
    at: datetime
    summary: str = Field(examples=["v3 → v4 at node wait_2 by migration m_…"])


class RunOut(BaseModel):
    id: str
    workflow_id: str
    version: int
    status: str
    entity: str | None
    started_at: datetime
    completed_at: datetime | None
    duration_ms: int | None = None
    trigger: dict[str, Any] | None = Field(
        description="the trigger event: type, id and — in one run's detail — occurred_at, "
        "entity and data (truncated)"
    )
    error: dict[str, Any] | None
    variant: str | None = Field(default=None, description="the variant an A/B split took")
    goal: str | None = Field(default=None, description="the goal node the run reached")
    retry_of: str | None = Field(default=None, description="the run this one retries")
    steps_completed: int = Field(default=0, description="steps that completed")
    steps_failed: int = Field(
        default=0,
        description="steps that failed; a run with failed steps did not succeed, even when "
        "it went on past them (on_error: continue) and ended completed",
    )
    steps_skipped: int = Field(default=0, description="steps that were skipped")
    path: list[str] | None = Field(
        default=None, description="the step keys in the order the run took them"
    )
    steps: list[StepOut] | None = None
    versions: list[VersionMoveOut] | None = Field(
        default=None,
        description="in one run's detail: its moves to other versions, oldest first (its "
        "version is the last one's to_version)",
    )
    control: list[ControlOut] | None = Field(
        default=None, description="in one run's detail: who cancelled or retried it, and when"
    )
    steps_cursor: str | None = Field(
        default=None,
        description="set when the run has more steps than its detail carries (500): read the "
        "rest from GET /v1/runs/{id}/steps?cursor=…",
    )


class RetryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idempotency_key: Key | None = Field(
        default=None, description="one retry per key; without one every call retries again"
    )


class SentMessage(BaseModel):
    """What an action sent, rendered, as it went out; the fields its channel has."""

    model_config = ConfigDict(populate_by_name=True)

    to: list[str] | None = Field(default=None, description="email, SMS: the recipients")
    cc: list[str] | None = None
    bcc: list[str] | None = None
    from_: str | None = Field(default=None, alias="from", description="email: the sender")
    subject: str | None = None
    text: str | None = Field(default=None, description="email: the plain-text part")
    html: str | None = Field(default=None, description="email: the HTML part")
    body: Any = Field(default=None, description="SMS: its text; HTTP: the request's body")
    method: str | None = Field(default=None, description="HTTP: the request's method")
    url: str | None = Field(default=None, description="HTTP: the URL called")
    query: dict[str, Any] | None = None
    headers: dict[str, str] | None = Field(
        default=None, description="HTTP: the step's headers (Authorization shown as ***)"
    )
    payload: dict[str, Any] | None = Field(
        default=None, description="Slack: the message posted (the webhook URL is not kept)"
    )


class DeliveryOut(BaseModel):
    id: int
    run_id: str
    step_key: str
    channel: str
    transport: str
    recipient: str = Field(description="where it went, masked (the delivery log's view)")
    status: str
    receipt: dict[str, Any] | None
    sends: int = Field(
        default=0,
        description="how many requests for the key may have reached the receiver: 2 or more "
        "when an http_request step whose receiver deduplicates (receiver_dedupes) sent it again "
        "after not knowing whether it arrived",
    )
    message: SentMessage | None = Field(
        default=None,
        description="what was sent, rendered — recipients, subject, text and HTML, the SMS, "
        "the HTTP request — for keys that see customer data (a viewer's is masked); null for "
        "deliveries logged before it was kept, or sealed under a key the server no longer has",
    )
    created_at: datetime
