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
    name: str = Field(default="default", max_length=100)
    role: str = Field(default="admin", max_length=16)
    """One of ``api.roles.Role``: what the key may do (SPEC §7)."""
    created_at: datetime = _ts(nullable=False, default=utcnow)
    expires_at: datetime | None = _ts(nullable=True)
    last_used_at: datetime | None = _ts(nullable=True)
    revoked_at: datetime | None = _ts(nullable=True)


class AuditEntry(SQLModel, table=True):
    """One change made through the API: who (the key), when, what, from where."""

    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_tenant_at", "tenant_id", "at", "id"),
        Index("ix_audit_log_target", "tenant_id", "target_type", "target_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64)
    at: datetime = _ts(nullable=False, default=utcnow)
    key_id: str = Field(max_length=64)
    key_name: str = Field(max_length=100)
    action: str = Field(max_length=64)
    """What happened, as ``<object>.<verb>`` (``workflow.activated``, ``run.cancelled``…)."""
    target_type: str | None = Field(default=None, max_length=32)
    target_id: str | None = Field(default=None, max_length=200)
    detail: dict[str, Any] | None = _json()
    client: str | None = Field(default=None, max_length=64)
    user_agent: str | None = Field(default=None, max_length=300)


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
    message: str | None = Field(default=None, max_length=500)
    """What the author said the version changes (a commit message); optional."""
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
        # Covers the analytics' GROUP BY over a workflow's runs in a period (index-only scans).
        Index(
            "ix_runs_analytics",
            "tenant_id",
            "workflow_id",
            "started_at",
            "status",
            "goal",
            "version",
            "variant",
            "completed_at",
            "steps_failed",
        ),  # fmt: skip
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
    retry_of: str | None = Field(default=None, max_length=200)
    """The run this one retries (``POST /v1/runs/{id}/retry``): same trigger, same version."""
    # Counts of the run's steps by status, kept by the database itself (triggers, migration
    # 0008_runtruth_step_counts): exact once the run has ended; while it is open, as of its
    # last status change (``storage.runs.step_counts`` reads an open run's steps instead).
    steps_completed: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    steps_failed: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    steps_skipped: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


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
    __table_args__ = (
        UniqueConstraint("run_id", "step_key"),
        # Covers every per-node figure of a workflow's steps, in GROUP BY order: analytics,
        # step statistics and the flow picture read this index alone, with no join to runs.
        Index(
            "ix_run_steps_analytics",
            "tenant_id",
            "workflow_id",
            "node_id",
            "type",
            "status",
            "previous_node_id",
            "run_status",
            "run_started_at",
            "seq",
            "started_at",
            "completed_at",
        ),  # fmt: skip
    )

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
    # Copies kept by the database itself (triggers, migration 0005_step_workflow), whoever
    # writes the rows: the run's workflow, start and status, and the node of the run's
    # previous step (``seq - 1``). They let analytics read steps without joining runs.
    workflow_id: str | None = Field(default=None, max_length=64)
    run_started_at: datetime | None = _ts(nullable=True)
    run_status: str | None = Field(default=None, max_length=16)
    previous_node_id: str | None = Field(default=None, max_length=200)


class Delivery(SQLModel, table=True):
    """The outbound message log: one row per side effect, unique on its idempotency key.

    ``status``: ``sending`` (claimed, not yet sent), ``sent`` (its request has begun to leave,
    no answer yet), ``delivered``, ``failed`` (certainly not delivered; a retry may send again)
    or ``unknown`` (sent, never answered: never re-sent, unless its step says the receiver
    deduplicates: ``storage.claims``)."""

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
    message: str | None = None
    """What was sent, rendered (recipients, subject, text…), sealed: ``storage.sent_messages``."""
    created_at: datetime = _ts(nullable=False, default=utcnow)
    claimed_by: str | None = Field(default=None, max_length=64)
    """The attempt sending the effect now (``status`` ``sending``): see ``storage.claims``."""
    claimed_until: datetime | None = _ts(nullable=True)
    """When that claim lapses unless its holder renews it (a crashed holder stops renewing)."""
    sends: int = Field(default=0, sa_column_kwargs={"server_default": "0"})
    """How many requests for the key may have reached the receiver: more than 1 when it was
    sent again to a receiver that deduplicates (``storage.claims``)."""


class Secret(SQLModel, table=True):
    """A tenant's secret for ``{{ secrets.NAME }}``: only its ciphertext is stored (Fernet)."""

    __tablename__ = "secrets"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    name: str = Field(max_length=64)
    ciphertext: str
    updated_at: datetime = _ts(nullable=False, default=utcnow)


# --- email templates (send_email ``template``) ------------------------------------------------


class EmailTemplate(SQLModel, table=True):
    """A tenant's stored email, by name: Jinja templates rendered by ``send_email`` with the run
    context and the step's ``variables``."""

    __tablename__ = "email_templates"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    name: str = Field(max_length=100)
    subject: str = ""
    text: str | None = None
    html: str | None = None
    created_at: datetime = _ts(nullable=False, default=utcnow)
    updated_at: datetime = _ts(nullable=False, default=utcnow)


# --- record store, its audit trail, and in-app notifications (SPEC §2.4) ---------------------


class Record(SQLModel, table=True):
    """A record of any type (contact, deal, task…): its fields in ``data``, plus tags and list
    memberships. ``version`` counts its changes; ``uid`` never repeats, even when a deleted
    record's id is used again, so the events of its changes keep distinct ids."""

    __tablename__ = "records"
    __table_args__ = (
        UniqueConstraint("tenant_id", "type", "record_id"),
        Index("ix_records_tenant_type_created", "tenant_id", "type", "created_at"),
    )

    uid: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64)
    type: str = Field(max_length=64)
    record_id: str = Field(max_length=200)
    data: dict[str, Any] = _json(nullable=False)
    tags: list[str] = _json(nullable=False)
    lists: list[str] = _json(nullable=False)
    version: int = 1
    created_at: datetime = _ts(nullable=False, default=utcnow)
    updated_at: datetime = _ts(nullable=False, default=utcnow)


class RecordChange(SQLModel, table=True):
    """The audit trail: one row per change of a record, with the values it replaced. A change
    made by a run's step carries the step's idempotency key, so a retried step finds its change
    instead of making it twice."""

    __tablename__ = "record_changes"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_record_changes_record", "tenant_id", "record_type", "record_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64)
    record_uid: int
    record_type: str = Field(max_length=64)
    record_id: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    """created, updated, deleted, tag_added, tag_removed, list_added, list_removed."""
    version: int
    changes: dict[str, Any] = _json(nullable=False)
    """The new values (a tag or list name under ``tag``/``list``)."""
    previous: dict[str, Any] = _json(nullable=False)
    """The original values of the changed fields (null: the field was absent)."""
    source: str = Field(default="api", max_length=300)
    """``api``, or ``run:<run id>:<step key>``."""
    idempotency_key: str | None = Field(default=None, max_length=300)
    created_at: datetime = _ts(nullable=False, default=utcnow)


class Notification(SQLModel, table=True):
    """An in-app notification for one recipient (a user id or email) of a tenant."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_notifications_recipient", "tenant_id", "recipient", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64)
    recipient: str = Field(max_length=200)
    message: str
    link: str | None = Field(default=None, max_length=2000)
    kind: str | None = Field(default=None, max_length=64)
    data: dict[str, Any] | None = _json()
    run_id: str | None = Field(default=None, max_length=200)
    idempotency_key: str | None = Field(default=None, max_length=300)
    read_at: datetime | None = _ts(nullable=True)
    created_at: datetime = _ts(nullable=False, default=utcnow)


# --- event catalog, event outcomes, incoming webhooks, run identity (SPEC §2.5, §3) -----------


class EventType(SQLModel, table=True):
    """A tenant's catalog entry (``definitions.catalog.EventTypeSpec``); it replaces a built-in
    entry of the same type."""

    __tablename__ = "event_types"
    __table_args__ = (UniqueConstraint("tenant_id", "type"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(foreign_key="tenants.id", max_length=64)
    type: str = Field(max_length=200)
    description: str = ""
    data_schema: dict[str, Any] | None = _json()
    derived: dict[str, Any] = _json(nullable=False)
    roles: dict[str, Any] = _json(nullable=False)
    created_at: datetime = _ts(nullable=False, default=utcnow)
    updated_at: datetime = _ts(nullable=False, default=utcnow)


class EventOutcome(SQLModel, table=True):
    """What one event did to one workflow that listens to its type: ``started`` a run, or why
    not (``filtered_out``, ``deduped``, ``reenroll_refused``, ``rate_limited``…)."""

    __tablename__ = "event_outcomes"
    __table_args__ = (UniqueConstraint("tenant_id", "event_id", "workflow_id"),)

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64)
    event_id: str = Field(max_length=200)
    workflow_id: str = Field(max_length=64)
    outcome: str = Field(max_length=32)
    run_id: str | None = Field(default=None, max_length=200)
    detail: str = ""
    created_at: datetime = _ts(nullable=False, default=utcnow)


class WorkflowHook(SQLModel, table=True):
    """A workflow's incoming-webhook URL: the token only as its SHA-256, the optional signing
    secret encrypted like tenant secrets."""

    __tablename__ = "workflow_hooks"

    workflow_id: str = Field(foreign_key="workflows.id", primary_key=True, max_length=64)
    tenant_id: str = Field(max_length=64)
    token_hash: str = Field(max_length=64)
    secret_ciphertext: str | None = None
    created_at: datetime = _ts(nullable=False, default=utcnow)


# Re-enrollment looks up a workflow's latest run for an entity.
Index(
    "ix_runs_workflow_entity",
    Run.tenant_id,
    Run.workflow_id,
    Run.entity,  # type: ignore[arg-type]
    Run.started_at,  # type: ignore[arg-type]
)


# --- maintenance: alerts and retention (worker/maintenance.py) --------------------------------


class AlertMark(SQLModel, table=True):
    """When the scheduled check last alerted a workflow of one kind: at most one alert per
    workflow and kind within an hour (``storage.alerts``)."""

    __tablename__ = "alert_marks"

    tenant_id: str = Field(primary_key=True, max_length=64)
    workflow_id: str = Field(primary_key=True, max_length=64)
    kind: str = Field(primary_key=True, max_length=64)
    alerted_at: datetime = _ts(nullable=False)


# The alerts and retention find runs by when they ended.
Index("ix_runs_completed", Run.completed_at)  # type: ignore[arg-type]


# --- exports: the CSV files ``export`` steps make (SPEC §2.4) ---------------------------------


class Export(SQLModel, table=True):
    """A CSV export of records, its content kept in the row: one store for API and worker on
    both databases, written in the same transaction as its metadata. At most one per step
    idempotency key, so a retried step finds the export it made."""

    __tablename__ = "exports"
    __table_args__ = (
        UniqueConstraint("tenant_id", "idempotency_key"),
        Index("ix_exports_tenant_created", "tenant_id", "created_at"),
    )

    id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(max_length=64)
    idempotency_key: str = Field(max_length=300)
    run_id: str | None = Field(default=None, max_length=200)
    record_type: str = Field(max_length=64)
    filter: dict[str, Any] | None = _json()
    sort: str | None = Field(default=None, max_length=200)
    columns: list[str] = _json(nullable=False)
    row_count: int
    truncated: bool = False
    """More records matched than the export's row limit."""
    content: str
    created_at: datetime = _ts(nullable=False, default=utcnow)


# --- rate limits: runs a workflow started per window of its trigger's rate_limit (SPEC §2.5) ---


class RateWindow(SQLModel, table=True):
    """How many runs of a workflow an event trigger started (or refused) in one fixed window of
    ``period_seconds`` beginning at ``window_start``: a counter row, incremented by one
    conditional UPDATE, so concurrent deliveries never start more than the limit."""

    __tablename__ = "rate_windows"
    __table_args__ = (
        UniqueConstraint("tenant_id", "workflow_id", "period_seconds", "window_start"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64)
    workflow_id: str = Field(max_length=64)
    period_seconds: int
    window_start: datetime = _ts(nullable=False)
    started: int = 0
    """Runs started (or deferred to start) in the window."""
    dropped: int = 0
    """Events refused in the window (``over: drop``)."""


class Outbox(SQLModel, table=True):
    """An intent written in the transaction of the change that makes it (a run row, a record
    change), carried out after the commit and, when that fails or the process dies, by the
    recoverer (``runs.recovery``) in any worker: ``kind`` ``start_run`` (its ``key`` the run
    id), ``event`` (a change's event; its key the event id) or ``terminate`` (a cancelled run
    still open after its grace period)."""

    __tablename__ = "outbox"
    __table_args__ = (
        UniqueConstraint("kind", "key"),
        Index("ix_outbox_pending", "status", "due_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64)
    kind: str = Field(max_length=16)
    key: str = Field(max_length=200)
    payload: dict[str, Any] | None = _json()
    status: str = Field(default="pending", max_length=16)
    """``pending``, ``done`` or ``failed`` (given up: ``last_error`` says why)."""
    attempts: int = 0
    due_at: datetime = _ts(nullable=False, default=utcnow)
    created_at: datetime = _ts(nullable=False, default=utcnow)
    claimed_by: str | None = Field(default=None, max_length=100)
    claimed_until: datetime | None = _ts(nullable=True)
    """A recoverer's lease: no other one takes the row before it passes."""
    last_error: str | None = Field(default=None, max_length=2000)


class Migration(SQLModel, table=True):
    """A move of a workflow's runs in flight to another of its versions
    (``POST /v1/workflows/{id}/migrations``): what it moves, and how far it has got. A worker's
    recoverer plans and signals its runs a batch at a time (``runs.migration``)."""

    __tablename__ = "migrations"
    __table_args__ = (Index("ix_migrations_workflow", "tenant_id", "workflow_id", "created_at"),)

    id: str = Field(primary_key=True, max_length=64)
    tenant_id: str = Field(max_length=64)
    workflow_id: str = Field(max_length=64)
    from_version: int | None = None
    """None: every version older than ``to_version``."""
    to_version: int
    filter: dict[str, Any] | None = _json()
    map: dict[str, Any] | None = _json()
    batch_size: int = 500
    rate: float = 1000.0
    """Runs signalled per second, at most."""
    status: str = Field(default="dispatching", max_length=16)
    """``dispatching`` (batches still to plan and signal) or ``dispatched``."""
    cursor: str = Field(default="", max_length=200)
    """The last run id planned: the next batch starts after it."""
    created_by: str | None = Field(default=None, max_length=200)
    created_at: datetime = _ts(nullable=False, default=utcnow)
    dispatched_at: datetime | None = _ts(nullable=True)


class MigrationRun(SQLModel, table=True):
    """One run of a migration: signalled, moved (from ``node_id`` on ``from_version`` to
    ``target`` on ``to_version``), or not (``cannot_move``, with ``reason``). The moved rows of
    a run are its version history."""

    __tablename__ = "migration_runs"
    __table_args__ = (
        UniqueConstraint("migration_id", "run_id"),
        Index("ix_migration_runs_run", "run_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    tenant_id: str = Field(max_length=64)
    migration_id: str = Field(max_length=64)
    run_id: str = Field(max_length=200)
    from_version: int
    to_version: int
    status: str = Field(max_length=16)
    node_id: str | None = Field(default=None, max_length=200)
    target: str | None = Field(default=None, max_length=200)
    wait: str | None = Field(default=None, max_length=16)
    after: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=64)
    detail: str | None = Field(default=None, max_length=500)
    updated_at: datetime = _ts(nullable=False, default=utcnow)
