"""Logs never carry event data, recipients or secrets: every log record of an end-to-end run —
the API, run intake, the worker, its activities, Temporal's SDK — is searched for them
(SPEC §7)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.actions import Actions
from activities.email import email_transport_from_url
from activities.http import HttpCaller, http_session
from activities.outbound import LOOPBACK_ALLOW, OutboundPolicy
from activities.sms import TwilioSmsTransport
from api.app import create_app
from api.deps import ApiDeps
from storage.secrets import SecretBox, SecretStore
from tests.api.conftest import Stack, api_client, finished, new_tenant
from tests.helpers.peers import FakeTwilioApi, RecordingHttpServer, SmtpSink
from worker.cli import LOG_LEVELS
from worker.composition import build_worker

EMAIL = "logged.never@example.com"
PHONE = "+14155550123"
NAME = "Zelda Unlogged"
SECRET = "sk_live_never_in_logs_91f"
BAD_PHONE = FakeTwilioApi.INVALID_TO  # a refused recipient: its error must not log it either


@pytest.fixture
async def stack(
    dev_env: WorkflowEnvironment, engine: Engine
) -> AsyncIterator[tuple[Stack, RecordingHttpServer]]:
    box = SecretBox(SecretBox.generate_key())
    tenant_id, key = new_tenant(engine)
    with SmtpSink() as smtp, FakeTwilioApi() as twilio, RecordingHttpServer() as peer:
        async with http_session() as http:
            actions = Actions(
                engine=engine,
                email=email_transport_from_url(smtp.url()),
                sms=TwilioSmsTransport(
                    twilio.account_sid, twilio.auth_token, "+15550000000", twilio.base_url
                ),
                http=HttpCaller(http, policy=OutboundPolicy.from_setting(LOOPBACK_ALLOW)),
                secrets=SecretStore(engine, box).lookup,
            )
            queue = f"relay-logs-{uuid.uuid4().hex[:8]}"
            async with build_worker(dev_env.client, queue, engine, actions):

                async def connect() -> Client:
                    return dev_env.client

                deps = ApiDeps(
                    engine=engine, connect_temporal=connect, task_queue=queue, secrets=box
                )
                app = create_app(deps)
                async with api_client(app, key) as api:
                    yield Stack(api, dev_env.client, smtp, engine, tenant_id, app), peer


async def test_an_end_to_end_run_logs_no_event_data_recipient_or_secret(
    stack: tuple[Stack, RecordingHttpServer],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api, peer = stack
    caplog.set_level(LOG_LEVELS[""])
    for name, level in LOG_LEVELS.items():  # what Relay's processes log
        if name:
            monkeypatch.setattr(logging.getLogger(name), "level", level)
    assert (await api.api.put("/v1/secrets/CRM_KEY", json={"value": SECRET})).status_code == 204
    await api.create_active(
        {
            "name": "Everything at once",
            "trigger": {"type": "event", "event": "booking.created", "entity": "{{ email }}"},
            "steps": [
                {"id": "mail", "type": "send_email", "to": "{{ email }}",
                 "subject": "Hi {{ name }}", "body": "See you, {{ name }}"},
                {"id": "text", "type": "send_sms", "to": "{{ phone }}", "body": "Hi {{ name }}"},
                {"id": "refused", "type": "send_sms", "to": "{{ bad_phone }}",
                 "body": "Hi {{ name }}", "retry": {"max_attempts": 1}},
                {"id": "crm", "type": "http_request", "method": "POST", "url": peer.url("/crm"),
                 "headers": {"Authorization": "Bearer {{ secrets.CRM_KEY }}"},
                 "body": {"email": "{{ email }}", "name": "{{ name }}"}},
            ],
            "settings": {"on_error": "continue"},
        }
    )  # fmt: skip
    data = {"email": EMAIL, "name": NAME, "phone": PHONE, "bad_phone": BAD_PHONE}
    accepted = await api.api.post("/v1/events", json={"type": "booking.created", "data": data})
    assert accepted.status_code == 202, accepted.text
    run = await api.wait_run(accepted.json()["runs"][0]["id"], finished)
    statuses = {s["node_id"]: s["status"] for s in run["steps"]}
    assert statuses == {
        "mail": "completed", "text": "completed", "refused": "failed", "crm": "completed"
    }  # fmt: skip
    assert peer.requests and SECRET in peer.requests[0].headers["authorization"]
    # A filter naming a person, and a failed authentication, are logged too (without them).
    await api.api.get("/v1/runs", params={"entity": EMAIL})

    # The test's own client (to http://relay.test) and its SMTP peer (mail.log) are not Relay.
    records = [
        r for r in caplog.records if "relay.test" not in r.getMessage() and r.name != "mail.log"
    ]
    formatter = logging.Formatter("%(name)s %(message)s")  # with tracebacks
    logged = "\n".join(f"{formatter.format(r)} {r.__dict__}" for r in records)
    assert "relay.api.access" in logged and "temporalio" in logged, "the run was logged"
    for value in (EMAIL, PHONE, NAME, SECRET, BAD_PHONE, PHONE.lstrip("+")):
        assert value not in logged, value
