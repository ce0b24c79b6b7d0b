"""Relay's tables. Every row carries ``tenant_id``; every query filters on it.

JSON columns hold documents (definitions, event data, step outputs) whose shape belongs to
``definitions``; the columns beside them are the ones queries filter and sort on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps in UTC on both databases: SQLite keeps no zone, so it is attached on read."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(**kwargs: Any) -> Any:
    return Field(sa_column=Column(UTCDateTime(), **kwargs))


def _json(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(JSON, nullable=nullable))


class Tenant(SQLModel, table=True):
    __tablename__ = "tenants"

    id: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    created_at: datetime = _ts(nullable=False, default=utcnow)


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"

    id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=64)
    key_hash: str = Field(unique=True, max_length=128)
    prefix: str = Field(max_length=16)
    created_at: datetime = _ts(nullable=False, default=utcnow)
    revoked_at: datetime | None = _ts(nullable=True)


class Workflow(SQLModel, table=True):
    __tablename__ = "workflows"
    __table_args__ = (Index("ix_workflows_trigger", "tenant_id", "status", "trigger_event"),)

    id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(foreign_key="tenants.id", index=True, max_length=64)
    name: str = Field(max_length=200)
    description: str = ""
    status: str = Field(default="draft", max_length=16)
    trigger_type: str = Field(default="manual", max_length=32)
    trigger_event: str | None = Field(default=None, max_length=200)
    latest_version: int = 1
    active_version: int | None = None
    created_at: datetime = _ts(nullable=False, default=utcnow)
    updated_at: datetime = _ts(nullable=False, default=utcnow)


class WorkflowVersion(SQLModel, table=True):
    __tablename__ = "workflow_versions"
    __table_args__ = (UniqueConstraint("workflow_id", "version"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64, index=True)
    workflow_id: str = Field(foreign_key="workflows.id", max_length=64)
    version: int
    definition: dict[str, Any] = _json(nullable=False)
    """The canonical graph, as runs of this version execute it."""
    source: dict[str, Any] | None = _json()
    """The document as submitted, kept for export and for showing the author their own text."""
    created_at: datetime = _ts(nullable=False, default=utcnow)


class Event(SQLModel, table=True):
    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("tenant_id", "event_id"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64)
    event_id: str = Field(max_length=200)
    type: str = Field(max_length=200)
    entity: str | None = Field(default=None, max_length=200)
    occurred_at: datetime = _ts(nullable=False)
    received_at: datetime = _ts(nullable=False, default=utcnow)
    data: dict[str, Any] = _json(nullable=False)


class Run(SQLModel, table=True):
    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_tenant_started", "tenant_id", "started_at"),
        Index("ix_runs_tenant_workflow", "tenant_id", "workflow_id", "started_at"),
        Index("ix_runs_tenant_entity", "tenant_id", "entity"),
    )

    id: str = Field(primary_key=True, max_length=200)
    tenant_id: str = Field(max_length=64)
    workflow_id: str = Field(max_length=64)
    version: int
    status: str = Field(default="running", max_length=16)
    entity: str | None = Field(default=None, max_length=200)
    event_id: str | None = Field(default=None, max_length=200)
    trigger: dict[str, Any] | None = _json()
    error: dict[str, Any] | None = _json()
    started_at: datetime = _ts(nullable=False, default=utcnow)
    completed_at: datetime | None = _ts(nullable=True)
    variant: str | None = Field(default=None, max_length=100)
    """The variant an A/B ``split`` sent the run down."""
    goal: str | None = Field(default=None, max_length=100)
    """The ``goal`` node the run reached."""


class RunWatch(SQLModel, table=True):
    """A run waiting for events of ``event_type`` (``"*"``: any) about ``entity``.

    The API finds the runs to signal for an event with one indexed lookup, and in the same
    database the run's own writes go to, so a watch is visible the moment it is committed.
    """

    __tablename__ = "run_watches"
    __table_args__ = (
        UniqueConstraint("run_id", "event_type"),
        Index("ix_run_watches_lookup", "tenant_id", "entity", "event_type"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64)
    run_id: str = Field(max_length=200)
    entity: str = Field(max_length=200)
    event_type: str = Field(max_length=200)
    created_at: datetime = _ts(nullable=False, default=utcnow)


class RunStep(SQLModel, table=True):
    __tablename__ = "run_steps"
    __table_args__ = (UniqueConstraint("run_id", "step_key"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64)
    run_id: str = Field(max_length=200, index=True)
    step_key: str = Field(max_length=200)
    seq: int = 0
    node_id: str = Field(max_length=200)
    type: str = Field(max_length=64)
    status: str = Field(max_length=16)
    attempts: int = 0
    started_at: datetime | None = _ts(nullable=True)
    completed_at: datetime | None = _ts(nullable=True)
    output: Any = _json()
    error: dict[str, Any] | None = _json()


class Delivery(SQLModel, table=True):
    """The outbound message log: one row per side effect, unique on its idempotency key."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_tenant_created", "tenant_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64)
    idempotency_key: str = Field(unique=True, max_length=300)
    run_id: str = Field(max_length=200, index=True)
    step_key: str = Field(max_length=200)
    channel: str = Field(max_length=32)
    transport: str = Field(max_length=32)
    recipient: str = Field(default="", max_length=500)
    status: str = Field(max_length=16)
    summary: str = ""
    receipt: dict[str, Any] | None = _json()
    created_at: datetime = _ts(nullable=False, default=utcnow)


class Secret(SQLModel, table=True):
    """A tenant's secret for ``{{ secrets.NAME }}``: only its ciphertext is stored (Fernet)."""

    __tablename__ = "secrets"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    name: str = Field(max_length=64)
    ciphertext: str
    updated_at: datetime = _ts(nullable=False, default=utcnow)
