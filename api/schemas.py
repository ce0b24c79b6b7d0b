"""Request and response bodies of the v1 API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: str = Field(min_length=1, max_length=200)
    id: str | None = Field(default=None, min_length=1, max_length=200)
    entity: str | None = Field(default=None, max_length=200)
    occurred_at: datetime | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    previous: dict[str, Any] | None = None


class RunStarted(BaseModel):
    id: str
    workflow_id: str
    version: int
    status: str = Field(description="'started', or 'duplicate' when this event already started it")


class EventAccepted(BaseModel):
    event_id: str
    runs: list[RunStarted]


class ExecuteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: dict[str, Any] = Field(default_factory=dict)
    entity: str | None = None
    idempotency_key: str | None = Field(default=None, max_length=200)


class WorkflowOut(BaseModel):
    id: str
    name: str
    description: str
    status: str
    trigger_type: str
    version: int
    active_version: int | None
    definition: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class VersionOut(BaseModel):
    version: int
    created_at: datetime
    definition: dict[str, Any]


class StepOut(BaseModel):
    node_id: str
    type: str
    status: str
    attempts: int
    started_at: datetime | None
    completed_at: datetime | None
    output: Any
    error: dict[str, Any] | None


class RunOut(BaseModel):
    id: str
    workflow_id: str
    version: int
    status: str
    entity: str | None
    started_at: datetime
    completed_at: datetime | None
    trigger: dict[str, Any] | None
    error: dict[str, Any] | None
    goal: str | None = None
    steps: list[StepOut] | None = None


class DeliveryOut(BaseModel):
    id: int
    run_id: str
    step_key: str
    channel: str
    transport: str
    recipient: str
    status: str
    receipt: dict[str, Any] | None
    created_at: datetime
