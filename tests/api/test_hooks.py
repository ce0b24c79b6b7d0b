"""Incoming webhooks: a per-workflow URL with a token, optionally signed; the body is the event."""

from __future__ import annotations

import json
from typing import Any

import pytest

from activities.signing import signature_headers
from storage.secrets import SecretBox
from tests.api.conftest import Stack, finished, problem

ON_BOOKING = {
    "name": "Hooked",
    "trigger": {"type": "event", "event": "booking.created", "entity": "{{ booking_id }}"},
    "steps": [{"id": "hi", "type": "send_email", "to": "{{ invitee_email }}",
               "subject": "Hi {{ invitee_name }}", "body": "b"}],
}  # fmt: skip
BODY = {"booking_id": "bk_7", "invitee_name": "Ann", "invitee_email": "ann@example.com"}


@pytest.fixture
def signing(stack: Stack) -> Stack:
    """The stack with the tenant-secrets key set, which signed hooks need."""
    stack.app.state.deps.secrets = SecretBox(SecretBox.generate_key())
    return stack


async def _hook(stack: Stack, workflow_id: str, **body: Any) -> dict[str, Any]:
    issued = await stack.api.post(f"/v1/workflows/{workflow_id}/hook", json=body)
    assert issued.status_code == 201, issued.text
    result: dict[str, Any] = issued.json()
    return result


async def _deliver(stack: Stack, url: str, body: bytes, **headers: str) -> Any:
    async with stack.api_as(None) as anonymous:  # the token is the credential
        return await anonymous.post(
            url, content=body, headers={"content-type": "application/json", **headers}
        )


async def test_a_posted_body_starts_the_workflow_as_its_event(stack: Stack) -> None:
    workflow = await stack.create_active(ON_BOOKING)
    await stack.create_active({**ON_BOOKING, "name": "Another listener"})
    hook = await _hook(stack, workflow["id"])
    assert hook["url"] == f"/v1/hooks/{workflow['id']}/{hook['token']}" and hook["secret"] is None

    answer = await _deliver(
        stack, hook["url"], json.dumps(BODY).encode(), **{"Idempotency-Key": "d-1"}
    )
    assert answer.status_code == 202, answer.text
    [run] = answer.json()["runs"]  # only this workflow: the URL is its own
    assert (answer.json()["event_id"], run["workflow_id"]) == ("d-1", workflow["id"])
    done = await stack.wait_run(run["id"], finished)
    assert (done["status"], done["entity"]) == ("completed", "bk_7")
    assert [m.rcpt_tos for m in stack.smtp.messages] == [["ann@example.com"]]

    again = await _deliver(
        stack, hook["url"], json.dumps(BODY).encode(), **{"Idempotency-Key": "d-1"}
    )
    assert [r["status"] for r in again.json()["runs"]] == ["duplicate"]
    shown = (await stack.api.get(f"/v1/workflows/{workflow['id']}/hook")).json()
    assert shown["signed"] is False and "token" not in shown


async def test_a_wrong_token_is_404_and_starts_nothing(stack: Stack) -> None:
    workflow = await stack.create_active(ON_BOOKING)
    hook = await _hook(stack, workflow["id"])
    body = json.dumps(BODY).encode()
    problem(await _deliver(stack, f"/v1/hooks/{workflow['id']}/not-the-token", body), 404)
    problem(await _deliver(stack, f"/v1/hooks/wf_other/{hook['token']}", body), 404)
    rotated = await _hook(stack, workflow["id"])
    problem(await _deliver(stack, hook["url"], body), 404)  # the old token died with rotation
    assert (await _deliver(stack, rotated["url"], body)).status_code == 202
    listed = (await stack.api.get(f"/v1/workflows/{workflow['id']}/runs")).json()["items"]
    assert len(listed) == 1


async def test_a_signed_hook_refuses_a_bad_signature_with_401(signing: Stack) -> None:
    stack = signing
    workflow = await stack.create_active(ON_BOOKING)
    hook = await _hook(stack, workflow["id"], signed=True)
    assert hook["secret"].startswith("whsec_")
    body = json.dumps(BODY).encode()

    problem(await _deliver(stack, hook["url"], body), 401)  # unsigned
    forged = signature_headers("not-the-secret", body)
    problem(await _deliver(stack, hook["url"], body, **forged), 401)
    tampered = signature_headers(hook["secret"], body)
    problem(await _deliver(stack, hook["url"], body.replace(b"Ann", b"Eve"), **tampered), 401)
    stale = signature_headers(hook["secret"], body, now=0)
    problem(await _deliver(stack, hook["url"], body, **stale), 401)
    assert (await stack.api.get(f"/v1/workflows/{workflow['id']}/runs")).json()["items"] == []

    good = await _deliver(stack, hook["url"], body, **signature_headers(hook["secret"], body))
    assert good.status_code == 202, good.text
    assert [r["status"] for r in good.json()["runs"]] == ["started"]


async def test_signed_hooks_need_the_secrets_key(stack: Stack) -> None:
    workflow = await stack.create_active(ON_BOOKING)
    problem(
        await stack.api.post(f"/v1/workflows/{workflow['id']}/hook", json={"signed": True}), 409
    )


async def test_a_body_violating_the_event_types_schema_is_422(stack: Stack) -> None:
    workflow = await stack.create_active(ON_BOOKING)
    hook = await _hook(stack, workflow["id"])
    body = problem(await _deliver(stack, hook["url"], b'{"invitee_email": 5}'), 422)
    assert [e["path"] for e in body["errors"]] == ["data.invitee_email"]
    problem(await _deliver(stack, hook["url"], b"[1, 2]"), 422)
    problem(await _deliver(stack, hook["url"], b"{nope"), 422)


async def test_a_webhook_trigger_runs_with_the_body_as_data(stack: Stack) -> None:
    workflow = await stack.create_active({**ON_BOOKING, "trigger": {"type": "webhook"}})
    hook = await _hook(stack, workflow["id"])
    answer = await _deliver(stack, hook["url"], json.dumps(BODY).encode())
    [run] = answer.json()["runs"]
    assert (await stack.wait_run(run["id"], finished))["status"] == "completed"
    event = (await stack.api.get(f"/v1/events/{answer.json()['event_id']}")).json()
    assert (event["type"], event["data"]) == ("webhook", BODY)


async def test_another_tenants_workflow_has_no_hook_for_you(stack: Stack) -> None:
    workflow = await stack.create_active(ON_BOOKING)
    async with stack.other_tenant() as other:
        problem(await other.post(f"/v1/workflows/{workflow['id']}/hook", json={}), 404)
        problem(await other.get(f"/v1/workflows/{workflow['id']}/hook"), 404)
