"""Customer data is sealed in Temporal's histories, and Relay still shows it to its tenant;
the codec server decodes it for an operator's Temporal UI (SPEC §7)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.sms import TwilioSmsTransport
from api.app import create_app
from api.deps import ApiDeps
from storage.payload_codec import EncryptionCodec, data_converter
from tests.api.conftest import api_client, finished, new_tenant, problem
from tests.helpers.peers import FakeTwilioApi, SmtpSink
from tests.helpers.polling import eventually
from tests.helpers.temporal import relay_worker
from workflows.search_attributes import entity_token

EMAIL = "ada.private@example.com"
PHONE = "+14155550199"
NAME = "Ada Lovelace-Private"
REMINDER = {
    "name": "Sealed reminder",
    "trigger": {"type": "event", "event": "booking.created", "entity": "{{ invitee_email }}"},
    "steps": [
        {"id": "remind", "type": "send_email", "to": "{{ invitee_email }}",
         "subject": "Hello {{ invitee_name }}", "body": "See you, {{ invitee_name }}."},
        {"id": "text", "type": "send_sms", "to": "{{ invitee_phone }}",
         "body": "See you soon, {{ invitee_name }}"},
    ],
}  # fmt: skip
ENTITY_KEY = b"entity-key-for-tests"


@dataclass
class Sealed:
    api: httpx.AsyncClient
    raw: Client
    """A client without the codec: what anyone reading Temporal directly sees."""
    smtp: SmtpSink
    twilio: FakeTwilioApi
    tenant_id: str


@pytest.fixture
async def sealed(dev_env: WorkflowEnvironment, engine: Engine) -> AsyncIterator[Sealed]:
    codec = EncryptionCodec(EncryptionCodec.generate_key())
    config: Any = {**dev_env.client.config(), "data_converter": data_converter(codec)}
    client = Client(**config)
    tenant_id, key = new_tenant(engine)
    with SmtpSink() as smtp, FakeTwilioApi() as twilio:
        sms = TwilioSmsTransport(
            twilio.account_sid, twilio.auth_token, "+15550000000", twilio.base_url
        )
        async with relay_worker(client, engine, smtp_url=smtp.url(), sms=sms) as worker:

            async def connect() -> Client:
                return client

            deps = ApiDeps(
                engine=engine,
                connect_temporal=connect,
                task_queue=worker.task_queue,
                codec=codec,
                entity_key=ENTITY_KEY,
            )
            async with api_client(create_app(deps), key) as api:
                yield Sealed(api, dev_env.client, smtp, twilio, tenant_id)


async def started_run(sealed: Sealed) -> dict[str, Any]:
    created = await sealed.api.post("/v1/workflows", json=REMINDER)
    await sealed.api.post(f"/v1/workflows/{created.json()['id']}/activate")
    data = {"invitee_email": EMAIL, "invitee_name": NAME, "invitee_phone": PHONE}
    accepted = await sealed.api.post("/v1/events", json={"type": "booking.created", "data": data})
    run_id = accepted.json()["runs"][0]["id"]
    deadline = asyncio.get_running_loop().time() + 20
    while asyncio.get_running_loop().time() < deadline:
        run: dict[str, Any] = (await sealed.api.get(f"/v1/runs/{run_id}")).json()
        if finished(run):
            return run
        await asyncio.sleep(0.05)
    raise AssertionError("the run did not finish")


async def test_event_data_never_reaches_temporal_in_clear(sealed: Sealed) -> None:
    run = await started_run(sealed)
    assert run["status"] == "completed", run
    assert [s["status"] for s in run["steps"]] == ["completed", "completed"]
    handle = sealed.raw.get_workflow_handle(run["id"])
    history = await handle.fetch_history()
    raw = b"".join(event.SerializeToString() for event in history.events)
    # The search attributes are in the history too, and plaintext by design: the entity (here
    # the address) is there only as a keyed hash.
    raw += (await handle.describe()).raw_description.SerializeToString()
    for secret in (EMAIL, PHONE, NAME, PHONE.lstrip("+")):
        assert secret.encode() not in raw, secret
    # The tenant still sees its own data through Relay, and the email and the SMS went out.
    assert run["trigger"]["data"]["invitee_email"] == EMAIL
    assert [m.rcpt_tos for m in sealed.smtp.messages] == [[EMAIL]]
    assert [(m["To"], m["Body"]) for m in sealed.twilio.messages] == [
        (PHONE, f"See you soon, {NAME}")
    ]


async def test_runs_are_found_in_temporal_by_the_entity_token(sealed: Sealed) -> None:
    run = await started_run(sealed)
    assert run["entity"] == EMAIL  # Relay's own API shows the tenant its entity
    token = entity_token(ENTITY_KEY, sealed.tenant_id, EMAIL)
    query = f"RelayTenant = '{sealed.tenant_id}' AND RelayEntity = '{token}'"

    async def found() -> list[str] | None:
        return [w.id async for w in sealed.raw.list_workflows(query)] or None

    assert await eventually(found, timeout=10, what="the run found by its token") == [run["id"]]


async def test_the_codec_server_decodes_history_payloads_for_the_temporal_ui(
    sealed: Sealed,
) -> None:
    run = await started_run(sealed)
    history = await sealed.raw.get_workflow_handle(run["id"]).fetch_history()
    started = history.events[0].workflow_execution_started_event_attributes
    sealed_payloads = json.loads(history.to_json())["events"][0][
        "workflowExecutionStartedEventAttributes"
    ]["input"]
    assert started.input.payloads[0].metadata["encoding"] == b"binary/encrypted"

    ui = {"origin": "http://localhost:8233", "x-namespace": "default"}
    decoded = await sealed.api.post("/codec/decode", json=sealed_payloads, headers=ui)
    assert decoded.status_code == 200, decoded.text
    assert decoded.headers["access-control-allow-origin"] == "http://localhost:8233"
    [payload] = decoded.json()["payloads"]
    assert EMAIL in base64.b64decode(payload["data"]).decode()

    preflight = await sealed.api.options("/codec/decode", headers=ui)
    assert preflight.status_code == 204
    assert "x-namespace" in preflight.headers["access-control-allow-headers"]


async def test_the_codec_server_answers_others_only_with_its_token(sealed: Sealed) -> None:
    app = sealed.api._transport.app  # type: ignore[attr-defined]
    deps: ApiDeps = app.state.deps
    remote = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=("203.0.113.5", 40000)),
        base_url="http://relay.test",
    )
    empty: dict[str, list[Any]] = {"payloads": []}
    async with remote:
        problem(await remote.post("/codec/decode", json=empty), 403)  # not on this machine
        deps.codec_token = "operator-token"
        problem(await remote.post("/codec/decode", json=empty), 401)
        wrong = {"authorization": "Bearer nope"}
        problem(await remote.post("/codec/decode", json=empty, headers=wrong), 401)
        right = {"authorization": "Bearer operator-token"}
        answered = await remote.post("/codec/decode", json=empty, headers=right)
        assert answered.status_code == 200 and answered.json() == {}
