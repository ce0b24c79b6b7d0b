"""The composition root: settings → clients → activities, worker, run intake and the API."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.worker import Worker

from activities.actions import Actions
from activities.bookkeeping import Recorder
from activities.email import email_transport_from_url
from activities.export import DEFAULT_PUBLIC_URL, Exports
from activities.http import HttpCaller
from activities.lookups import Lookups
from activities.maintenance import DEFAULT_RETENTION_DAYS, Maintenance
from activities.outbound import OutboundPolicy
from activities.record_actions import EmitEvent, RecordActions
from activities.sms import sms_transport_from_settings
from activities.stored_reads import StoredReads
from definitions.chain import DEFAULT_MAX_CHAIN_DEPTH
from runs.deps import RunsDeps
from runs.intake import accept_event, received
from runs.pacing import IntakePace, task_queue_reader
from storage.payload_codec import EncryptionCodec, data_converter
from storage.secrets import SecretBox, SecretStore
from worker.settings import Settings
from worker.simulator import Simulator
from workflows.interpreter import RelayRun
from workflows.policies import HEARTBEAT_THROTTLE, STICKY_QUEUE_TIMEOUT

SECRETS_FRESH_FOR = 5.0
"""Seconds a worker uses a tenant's secrets before reading them again."""


def payload_codec(settings: Settings) -> EncryptionCodec | None:
    """The codec sealing Temporal payloads, or None when ``RELAY_CODEC_KEYS`` is unset."""
    return EncryptionCodec(settings.codec_keys) if settings.codec_keys else None


async def connect(settings: Settings) -> Client:
    return await Client.connect(
        settings.temporal_address,
        namespace=settings.temporal_namespace,
        data_converter=data_converter(payload_codec(settings)),
    )


def build_actions(settings: Settings, engine: Engine, http: aiohttp.ClientSession) -> Actions:
    return Actions(
        engine=engine,
        email=email_transport_from_url(settings.smtp_url, default_sender=settings.email_from),
        sms=sms_transport_from_settings(
            settings.twilio_account_sid,
            settings.twilio_auth_token,
            settings.twilio_from_number,
            settings.twilio_api_url,
        ),
        http=HttpCaller(http, policy=OutboundPolicy.from_setting(settings.outbound_allow)),
        secrets=SecretStore(engine, secret_box(settings), SECRETS_FRESH_FOR).lookup,
        signing_secret=settings.signing_secret,
        message_box=secret_box(settings),
    )


def entity_key(settings: Settings) -> bytes | None:
    """The key hashing the entity search attribute: ``RELAY_ENTITY_KEY``, else one derived
    from the codec's sealing key (set ``RELAY_ENTITY_KEY`` before rotating codec keys, or new
    runs' tokens change), else None — without a codec, Temporal holds the data in clear anyway.
    """
    if settings.entity_key:
        return settings.entity_key.encode()
    if settings.codec_keys:
        first = settings.codec_keys.split(",")[0].strip().encode()
        return hmac.new(first, b"relay entity search attribute", hashlib.sha256).digest()
    return None


def link_key(settings: Settings) -> bytes | None:
    """The key signing emailed links, or None when ``RELAY_LINK_KEY`` is unset (links then
    need an API key)."""
    return settings.link_key.encode() if settings.link_key else None


def secret_box(settings: Settings) -> SecretBox | None:
    """The secrets cipher, or None when ``RELAY_SECRETS_KEY`` is unset (secrets unavailable)."""
    return SecretBox(settings.secrets_key) if settings.secrets_key else None


def build_worker(
    client: Client,
    task_queue: str,
    engine: Engine,
    actions: Actions,
    extra_workflows: Sequence[type] = (),
    *,
    search_attributes: bool = True,
    retention_days: int = DEFAULT_RETENTION_DAYS,
    public_url: str = DEFAULT_PUBLIC_URL,
    max_chain_depth: int = DEFAULT_MAX_CHAIN_DEPTH,
    link_key: bytes | None = None,
    entity_key: bytes | None = None,
    **options: object,
) -> Worker:
    recorder = Recorder(engine)
    maintenance = Maintenance(engine, retention_days)
    lookups = Lookups(engine)
    sink = event_sink(client, task_queue, engine, search_attributes, max_chain_depth, entity_key)
    records = RecordActions(engine, sink)
    exports = Exports(engine, actions, public_url, link_key)
    return Worker(
        client,
        task_queue=task_queue,
        workflows=[RelayRun, *extra_workflows],
        activities=[
            actions.send_email,
            actions.send_sms,
            actions.http_request,
            actions.slack,
            records.create_record,
            records.update_record,
            records.delete_record,
            records.query_records,
            records.add_tag,
            records.remove_tag,
            records.add_to_list,
            records.remove_from_list,
            records.add_note,
            records.notify,
            exports.export,
            recorder.record_steps,
            recorder.finish_run,
            recorder.watch,
            recorder.open_run,
            recorder.record_run_marks,
            recorder.record_migration,
            lookups.load_definition,
            maintenance.check_alerts,
            maintenance.apply_retention,
        ],
        activity_executor=ThreadPoolExecutor(max_workers=16),
        sticky_queue_schedule_to_start_timeout=STICKY_QUEUE_TIMEOUT,
        max_heartbeat_throttle_interval=HEARTBEAT_THROTTLE,
        **options,  # type: ignore[arg-type]
    )


def event_sink(
    client: Client,
    task_queue: str,
    engine: Engine,
    search_attributes: bool = True,
    max_chain_depth: int = DEFAULT_MAX_CHAIN_DEPTH,
    entity_key: bytes | None = None,
) -> EmitEvent:
    """Where the record actions' change events go: run intake, as for a posted event, so a
    change a run makes starts and signals runs exactly as a posted event does."""
    deps = RunsDeps.over(client, engine, task_queue, search_attributes, max_chain_depth, entity_key)

    async def emit(tenant_id: str, event: dict[str, Any]) -> None:
        trigger = received(
            event["type"],
            id=event.get("id"),
            occurred_at=event.get("occurred_at"),
            entity=event.get("entity"),
            data=event.get("data"),
            previous=event.get("previous"),
        )
        await accept_event(deps, tenant_id, trigger, chain=event.get("chain"))

    return emit


def build_api(settings: Settings, engine: Engine) -> object:
    """The HTTP app over the same services; the one place the composition root touches
    ``api`` (imported here, so the worker process never loads the HTTP layer)."""
    from api.app import create_app
    from api.deps import ApiDeps

    deps = ApiDeps(
        engine=engine,
        connect_temporal=lambda: connect(settings),
        task_queue=settings.task_queue,
        search_attributes=settings.search_attributes,
        secrets=secret_box(settings),
        max_chain_depth=settings.max_chain_depth,
        cancel_grace=settings.cancel_grace,
        start_deadline=settings.start_deadline,
        codec=payload_codec(settings),
        codec_token=settings.codec_server_token,
        codec_origins=tuple(o.strip() for o in settings.codec_origins.split(",") if o.strip()),
        link_key=link_key(settings),
        entity_key=entity_key(settings),
        public_url=settings.public_url,
        # Sub-workflows in a simulation read their definition (reads only, nothing written).
        simulator=Simulator(
            load_definition=Lookups(engine).load_definition,
            codec=payload_codec(settings),
            reads=StoredReads(engine),
        ),
    )
    if settings.max_body_bytes is not None:
        deps.max_body_bytes = settings.max_body_bytes
    if settings.intake_max_queue_age > 0:
        deps.pace = IntakePace(
            task_queue_reader(deps.temporal, deps.task_queue),
            max_queue_age=settings.intake_max_queue_age,
            max_hold=settings.intake_max_hold,
        )
    return create_app(deps)
