"""``{{ secrets.NAME }}`` end to end: the peer gets the value; history, DB and API never do."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.actions import Actions, mask_secrets
from activities.email import email_transport_from_url
from activities.http import HttpCaller, http_session
from activities.outbound import LOOPBACK_ALLOW, OutboundPolicy
from activities.signing import verify
from activities.sms import ConsoleSmsTransport
from api.app import create_app
from api.deps import ApiDeps
from storage.db import session_scope
from storage.models import Delivery, RunStep
from storage.secrets import SecretBox, SecretStore
from tests.api.conftest import Stack, api_client, finished, new_tenant
from tests.helpers.peers import RecordingHttpServer, SmtpSink
from worker.composition import build_worker

API_KEY = "sk_live_7Qm2-do-not-leak"
SIGNING = "whsec_tenant_signing_key"


@pytest.fixture
async def stack(dev_env: WorkflowEnvironment, engine: Engine) -> AsyncIterator[Stack]:
    """The real API and a real worker, both with the secrets store (and the same key)."""
    box = SecretBox(SecretBox.generate_key())
    tenant_id, key = new_tenant(engine)
    with SmtpSink() as smtp:
        async with http_session() as http:
            actions = Actions(
                engine=engine,
                email=email_transport_from_url(smtp.url()),
                sms=ConsoleSmsTransport(),
                http=HttpCaller(http, policy=OutboundPolicy.from_setting(LOOPBACK_ALLOW)),
                secrets=SecretStore(engine, box).lookup,
            )
            queue = f"relay-secrets-{uuid.uuid4().hex[:8]}"
            async with build_worker(dev_env.client, queue, engine, actions):

                async def connect() -> Client:
                    return dev_env.client

                deps = ApiDeps(
                    engine=engine, connect_temporal=connect, task_queue=queue, secrets=box
                )
                app = create_app(deps)
                async with api_client(app, key) as api:
                    yield Stack(api, dev_env.client, smtp, engine, tenant_id, app)


def crm_call(url: str) -> dict[str, Any]:
    return {
        "name": "Tell the CRM",
        "trigger": {"type": "event", "event": "deal.won"},
        "steps": [
            {"id": "call", "type": "http_request", "method": "POST", "url": url,
             "headers": {"Authorization": "Bearer {{ secrets.API_KEY }}"},
             "body": {"deal": "{{ deal_id }}"}},
            {"id": "broken", "type": "http_request", "url": url,
             "headers": {"X-Key": "{{ secrets.API_KEY }}\nInjected: 1"}, "retry": {"max_attempts": 1}},
        ],
        "settings": {"on_error": "continue"},
    }  # fmt: skip


async def test_the_peer_gets_the_secret_and_nothing_else_ever_shows_it(stack: Stack) -> None:
    assert (await stack.api.put("/v1/secrets/API_KEY", json={"value": API_KEY})).status_code == 204
    assert (
        await stack.api.put("/v1/secrets/RELAY_SIGNING_SECRET", json={"value": SIGNING})
    ).status_code == 204
    with RecordingHttpServer() as peer:
        # An echoing receiver: its answer quotes the credential it was sent.
        peer.script(200, {"received": f"Bearer {API_KEY}", "note": "ok"})
        workflow = await stack.create_active(crm_call(peer.url("/deals")))
        accepted = await stack.api.post(
            "/v1/events", json={"type": "deal.won", "id": "evt-s1", "data": {"deal_id": "d_1"}}
        )
        run_id = accepted.json()["runs"][0]["id"]
        run = await stack.wait_run(run_id, finished)

    # The receiver got the real value, signed with the tenant's signing secret.
    [request] = peer.requests
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert verify(SIGNING, request.headers, request.body)

    # The run: the echo masked in the output, the failing step's error without the value.
    steps = {s["node_id"]: s for s in run["steps"]}
    assert steps["call"]["status"] == "completed"
    assert steps["call"]["output"]["json"] == {"received": "Bearer ***", "note": "ok"}
    assert steps["broken"]["status"] == "failed"
    assert steps["broken"]["error"]["type"] == "invalid_header"

    # Nowhere a user or an operator can look: API responses, the database, Temporal's history.
    responses = [
        await stack.api.get(f"/v1/runs/{run_id}"),
        await stack.api.get("/v1/runs"),
        await stack.api.get(f"/v1/workflows/{workflow['id']}"),
        await stack.api.get(f"/v1/workflows/{workflow['id']}/runs"),
        await stack.api.get("/v1/deliveries", params={"run_id": run_id}),
        await stack.api.get("/v1/secrets"),
    ]
    for response in responses:
        assert response.status_code == 200, response.text
        assert API_KEY not in response.text and SIGNING not in response.text, response.url
    with session_scope(stack.engine) as session:
        rows = [
            *session.query(RunStep).filter(RunStep.run_id == run_id).all(),
            *session.query(Delivery).filter(Delivery.run_id == run_id).all(),
        ]
        stored = repr([row.model_dump() for row in rows])
    assert API_KEY not in stored
    history = await stack.client.get_workflow_handle(run_id).fetch_history()
    # Payloads are base64 in the JSON form: search the raw bytes, where they are plain JSON.
    raw = b"".join(event.SerializeToString() for event in history.events)
    assert b"secrets.API_KEY" in raw  # the template, not its value
    assert API_KEY.encode() not in raw and SIGNING.encode() not in raw
    assert API_KEY not in history.to_json()


async def test_an_unknown_secret_fails_the_step_permanently(stack: Stack) -> None:
    with RecordingHttpServer() as peer:
        await stack.create_active(crm_call(peer.url("/deals")))
        accepted = await stack.api.post(
            "/v1/events", json={"type": "deal.won", "id": "evt-s2", "data": {"deal_id": "d_2"}}
        )
        run = await stack.wait_run(accepted.json()["runs"][0]["id"], finished)

    assert peer.requests == []
    call = next(s for s in run["steps"] if s["node_id"] == "call")
    assert call["status"] == "failed"
    assert call["error"] == {
        "type": "template_error",
        "message": "unknown secret API_KEY",
        "retryable": False,
    }


async def test_another_tenants_secret_is_not_visible_to_this_tenants_runs(stack: Stack) -> None:
    async with stack.other_tenant() as globex:
        assert (await globex.put("/v1/secrets/API_KEY", json={"value": API_KEY})).status_code == 204
    with RecordingHttpServer() as peer:
        await stack.create_active(crm_call(peer.url("/deals")))
        accepted = await stack.api.post(
            "/v1/events", json={"type": "deal.won", "id": "evt-s3", "data": {"deal_id": "d_3"}}
        )
        run = await stack.wait_run(accepted.json()["runs"][0]["id"], finished)

    assert peer.requests == []
    assert run["steps"][0]["error"]["message"] == "unknown secret API_KEY"


def test_masking_replaces_every_occurrence_longest_secret_first() -> None:
    value = {"a": ["x-abc-abcdef-x", 3], "abc": {"k": "abcdef"}, "n": None}

    masked = mask_secrets(value, ["abcdef", "abc"])

    assert masked == {"a": ["x-***-***-x", 3], "***": {"k": "***"}, "n": None}
