"""The one settings object: ``RELAY_*`` environment variables, read at the entry points."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from definitions.chain import DEFAULT_MAX_CHAIN_DEPTH
from definitions.durations import parse_duration

STATE_DIR = Path(".relay")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RELAY_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{STATE_DIR / 'relay.db'}",
        description="SQLAlchemy URL; postgresql+psycopg://… for PostgreSQL",
    )
    temporal_address: str = "localhost:7233"
    temporal_namespace: str = "default"
    task_queue: str = "relay"
    smtp_url: str | None = Field(
        default=None,
        description="smtp://user:pass@host:port, smtp+starttls://…, smtps://…; ?from= sets sender",
    )
    email_from: str = "relay@localhost"
    twilio_account_sid: str | None = None
    twilio_auth_token: str | None = None
    twilio_from_number: str | None = None
    twilio_api_url: str | None = Field(default=None, description="override Twilio's API base URL")
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    temporal_ui_port: int = 8233
    state_dir: Path = STATE_DIR
    search_attributes: bool = Field(
        default=True,
        description="tag runs with Relay's search attributes (tenant, workflow, entity)",
    )
    outbound_allow: str = Field(
        default="",
        description="hosts, IPs and CIDRs outbound HTTP may reach beyond the public internet, "
        "comma-separated (e.g. 127.0.0.1,localhost,10.0.0.0/8)",
    )
    secrets_key: str | None = Field(
        default=None,
        description="Fernet key(s) encrypting tenant secrets; the first encrypts, any decrypts",
    )
    codec_keys: str | None = Field(
        default=None,
        description="base64 AES-256 keys sealing every payload Relay sends to Temporal; "
        "comma-separated to rotate: the first encrypts, any decrypts",
    )
    codec_server_token: str | None = Field(
        default=None,
        description="bearer token the codec server (/codec) asks for; unset: loopback only",
    )
    codec_origins: str = Field(
        default="http://localhost:8233,http://127.0.0.1:8233",
        description="browser origins (the Temporal UI) allowed to call the codec server",
    )
    entity_key: str | None = Field(
        default=None,
        description="keys the hash Temporal's RelayEntity search attribute holds instead of "
        "the entity; unset: derived from RELAY_CODEC_KEYS' first key (none: the entity as is)",
    )
    link_key: str | None = Field(
        default=None,
        description="signs the expiring download links emailed to people (exports); unset: "
        "emailed links need an API key",
    )
    signing_secret: str | None = Field(
        default=None,
        description="signs http_request calls of tenants without a RELAY_SIGNING_SECRET secret",
    )
    retention_days: int = Field(
        default=90,
        ge=1,
        description="run history (runs, steps, events, deliveries, notifications) older than "
        "this many days is removed daily; open runs are kept",
    )
    public_url: str = Field(
        default="http://localhost:8000",
        description="the API's address as users reach it: links in emails (export downloads)",
    )
    max_chain_depth: int = Field(
        default=DEFAULT_MAX_CHAIN_DEPTH,
        ge=1,
        description="runs started by events that runs emitted (record changes), in a row, "
        "before no further one starts (stops workflows that trigger each other forever)",
    )
    max_body_bytes: int | None = Field(
        default=None,
        ge=1024,
        description="the largest request body the API reads, larger ones answer 413; "
        "unset: the API's default (api.deps.DEFAULT_MAX_BODY_BYTES, 2 MB)",
    )
    cancel_grace: timedelta = Field(
        default=timedelta(seconds=30),
        ge=timedelta(0),
        description="how long a cancelled run may take to end itself before a worker's "
        "recoverer terminates it (seconds, 30s, 1m or PT1M)",
    )
    start_deadline: timedelta = Field(
        default=timedelta(minutes=10),
        gt=timedelta(0),
        description="how long a worker's recoverer keeps retrying a run Temporal could not "
        "take (and a record change's event) before failing it with the reason (seconds, 10m "
        "or PT10M)",
    )
    intake_max_queue_age: float = Field(
        default=0.5,
        ge=0,
        description="seconds the oldest task on the run task queue may wait before the API "
        "holds new events until the workers catch up (0: never holds)",
    )
    intake_max_hold: float = Field(
        default=10.0,
        gt=0,
        description="the longest the API holds an event's request before accepting it anyway",
    )
    workflow_task_polls: int = Field(
        default=20,
        ge=2,
        description="workflow task polls a worker keeps open (Temporal's default is 5: one "
        "of them for new runs, which then start one poll round trip at a time)",
    )
    workflow_tasks: int = Field(
        default=50,
        ge=2,
        description="workflow tasks a worker executes at once (the SDK's default is 100); a "
        "short step running as a local activity holds one while it runs",
    )
    activity_task_polls: int = Field(
        default=10, ge=1, description="activity task polls a worker keeps open (default 5)"
    )
    profile_dir: Path | None = Field(
        default=None,
        description="relay worker and relay api profile themselves (cProfile, the main thread) "
        "and write <command>-<pid>.prof here when they stop; for performance work",
    )
    system_schedules: bool = Field(
        default=True,
        description="workers create Relay's own schedules (alerts, retention) when they start",
    )

    @field_validator("cancel_grace", "start_deadline", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        """Durations as definitions write them: ``30``, ``30s``, ``10m``, ``PT10M``."""
        return parse_duration(value) if isinstance(value, str) else value
