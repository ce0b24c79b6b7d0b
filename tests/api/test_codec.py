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

from api.app import create_app
from api.deps import ApiDeps
from storage.payload_codec import EncryptionCodec, data_converter
from tests.api.conftest import api_client, finished, new_tenant, problem
from tests.helpers.peers import SmtpSink
from tests.helpers.temporal import relay_worker

EMAIL = "ada.private@example.com"
NAME = "Ada Lovelace-Private"
REMINDER = {
    "name": "Sealed reminder",
    "trigger": {"type": "event", "event": "booking.created"},
    "steps": [
        {"id": "remind", "type": "send_email", "to": "{{ invitee_email }}",
         "subject": "Hello {{ invitee_name }}", "body": "See you, {{ invitee_name }}."},
    ],
}  # fmt: skip


@dataclass
class Sealed:
    api: httpx.AsyncClient
    raw: Client
    """A client without the codec: what anyone reading Temporal directly sees."""
    smtp: SmtpSink


@pytest.fixture
async def sealed(dev_env: WorkflowEnvironment, engine: Engine) -> AsyncIterator[Sealed]:
    codec = EncryptionCodec(EncryptionCodec.generate_key())
    config: Any = {**dev_env.client.config(), "data_converter": data_converter(codec)}
    client = Client(**config)
    _, key = new_tenant(engine)
    with SmtpSink() as smtp:
        async with relay_worker(client, engine, smtp_url=smtp.url()) as worker:

            async def connect() -> Client:
                return client

            deps = ApiDeps(
                engine=engine, connect_temporal=connect, task_queue=worker.task_queue, codec=codec
            )
            async with api_client(create_app(deps), key) as api:
                yield Sealed(api, dev_env.client, smtp)


async def started_run(sealed: Sealed) -> dict[str, Any]:
    created = await sealed.api.post("/v1/workflows", json=REMINDER)
    await sealed.api.post(f"/v1/workflows/{created.json()['id']}/activate")
    data = {"invitee_email": EMAIL, "invitee_name": NAME}
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
    history = await sealed.raw.get_workflow_handle(run["id"]).fetch_history()
    raw = b"".join(event.SerializeToString() for event in history.events)
    assert EMAIL.encode() not in raw and NAME.encode() not in raw
    # The tenant still sees its own data through Relay, and the email went out.
    assert run["trigger"]["data"]["invitee_email"] == EMAIL
    assert [m.rcpt_tos for m in sealed.smtp.messages] == [[EMAIL]]


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
