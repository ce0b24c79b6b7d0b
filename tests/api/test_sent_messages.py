"""What was sent: each delivery keeps its rendered message — the email's recipients, subject,
text and HTML, the SMS, the HTTP request — shown to the keys that see customer data, masked for
a viewer, and sealed at rest when the server has a secrets key."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from storage.db import session_scope
from storage.models import Delivery
from storage.secrets import SecretBox
from tests.api.conftest import Stack, finished, live_stack
from tests.helpers.peers import RecordingHttpServer

ADDRESS = "ada.lovelace@example.com"
PHONE = "+14155550100"


def follow_up(hook_url: str) -> dict[str, Any]:
    return {
        "name": "Follow-up",
        "trigger": {"type": "event", "event": "booking.created"},
        "steps": [
            {"id": "mail", "type": "send_email", "to": "{{ email }}", "cc": "desk@example.org",
             "subject": "Thanks, {{ name }}", "body": "See you at {{ time }}.",
             "html": "<p>See you at <b>{{ time }}</b>.</p>"},
            {"id": "text", "type": "send_sms", "to": "{{ phone }}", "body": "Call at {{ time }}"},
            {"id": "crm", "type": "http_request", "method": "POST", "url": hook_url,
             "headers": {"X-Source": "relay"}, "auth": {"type": "bearer", "token": "tok_9f8e"},
             "body": {"email": "{{ email }}", "name": "{{ name }}"}},
        ],
    }  # fmt: skip


BOOKING = {"email": ADDRESS, "name": "Ada", "phone": PHONE, "time": "15:00"}


async def _run_follow_up(stack: Stack, hooks: RecordingHttpServer) -> str:
    await stack.create_active(follow_up(hooks.url("/crm")))
    accepted = await stack.api.post("/v1/events", json={"type": "booking.created", "data": BOOKING})
    run_id: str = accepted.json()["runs"][0]["id"]
    run = await stack.wait_run(run_id, finished)
    assert [s["status"] for s in run["steps"]] == ["completed"] * 3, run
    return run_id


async def _sent(api: Any, run_id: str) -> dict[str, dict[str, Any]]:
    response = await api.get("/v1/deliveries", params={"run_id": run_id})
    assert response.status_code == 200, response.text
    return {d["step_key"]: d["message"] for d in response.json()["items"]}


async def test_a_support_agent_reads_what_each_action_sent_and_a_viewer_reads_it_masked(
    stack: Stack,
) -> None:
    with RecordingHttpServer() as hooks:
        run_id = await _run_follow_up(stack, hooks)

    issued = (await stack.api.post("/v1/keys", json={"name": "support", "role": "operator"})).json()
    async with stack.api_as(issued["key"]) as support:
        sent = await _sent(support, run_id)
    assert sent["mail"] == {
        "to": [ADDRESS], "cc": ["desk@example.org"], "bcc": [], "from": "relay@localhost",
        "subject": "Thanks, Ada", "text": "See you at 15:00.",
        "html": "<p>See you at <b>15:00</b>.</p>",
        "body": None, "method": None, "url": None, "query": None, "headers": None, "payload": None,
    }  # fmt: skip
    assert (sent["text"]["to"], sent["text"]["body"]) == ([PHONE], "Call at 15:00")
    crm = sent["crm"]
    assert (crm["method"], crm["url"]) == ("POST", hooks.url("/crm"))
    assert crm["body"] == {"email": ADDRESS, "name": "Ada"}
    # The credential is named, not shown.
    assert crm["headers"] == {"X-Source": "relay", "Authorization": "***"}
    assert "tok_9f8e" not in str(sent)

    issued = (await stack.api.post("/v1/keys", json={"name": "audit", "role": "viewer"})).json()
    async with stack.api_as(issued["key"]) as viewer:
        masked = await _sent(viewer, run_id)
    assert masked["mail"]["to"] == ["•••"] and masked["mail"]["subject"] == "•••"
    assert masked["mail"]["text"] == "•••" and masked["mail"]["html"] == "•••"
    assert masked["text"]["body"] == "•••"
    assert ADDRESS not in str(masked) and PHONE not in str(masked)
    assert masked["crm"]["method"] == "POST"  # how it was sent stays readable


@pytest.fixture
async def sealing_stack(dev_env: WorkflowEnvironment, engine: Engine) -> AsyncIterator[Stack]:
    async with live_stack(dev_env, engine, box=SecretBox(SecretBox.generate_key())) as stack:
        yield stack


async def test_what_was_sent_is_sealed_at_rest_under_the_secrets_key(
    sealing_stack: Stack,
) -> None:
    stack = sealing_stack
    with RecordingHttpServer() as hooks:
        run_id = await _run_follow_up(stack, hooks)

    with session_scope(stack.engine) as session:
        stored = session.exec(select(Delivery.message).where(Delivery.run_id == run_id)).all()
    assert len(stored) == 3
    for message in stored:
        assert message is not None and message.startswith("fernet:")
        assert "Ada" not in message and "15:00" not in message
    sent = await _sent(stack.api, run_id)
    assert sent["mail"]["subject"] == "Thanks, Ada"
    assert sent["text"]["body"] == "Call at 15:00"
