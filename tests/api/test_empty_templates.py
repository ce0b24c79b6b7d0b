"""A URL or header template that renders empty fails its step at once, as a configuration error
naming the variable — not as a host "unreachable", retried five times."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Stack, finished
from tests.helpers.peers import RecordingHttpServer


def calling(step: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "Call out",
        "trigger": {"type": "manual"},
        "steps": [{"id": "call", **step}, {"id": "after", "type": "set", "values": {"ok": True}}],
    }


async def _failed_call(stack: Stack, step: dict[str, Any], data: dict[str, Any]) -> dict[str, Any]:
    workflow = await stack.create_active(calling(step))
    started = await stack.api.post(f"/v1/workflows/{workflow['id']}/execute", json={"input": data})
    assert started.status_code == 202, started.text
    run = await stack.wait_run(started.json()["id"], finished)
    call: dict[str, Any] = next(s for s in run["steps"] if s["node_id"] == "call")
    assert (call["status"], call["attempts"]) == ("failed", 1), call
    assert call["error"]["type"] == "empty_template"
    assert call["error"]["retryable"] is False
    assert run["steps_failed"] == 1
    return call


async def test_a_host_left_empty_by_a_missing_variable_is_named(stack: Stack) -> None:
    step = {"type": "http_request", "url": "https://{{ account }}.example.com/hooks"}
    call = await _failed_call(stack, step, {"acount": "acme"})
    assert call["error"]["message"] == (
        "url rendered empty where its template reads {{ account }}: the run has no value there"
    )


async def test_an_empty_header_and_path_segment_are_named_and_nothing_is_sent(
    stack: Stack,
) -> None:
    with RecordingHttpServer() as peer:
        step = {
            "type": "http_request",
            "url": peer.url("/users/{{ user.id }}/notify"),
            "headers": {"X-Api-Key": "{{ api_key }}", "X-Source": "relay"},
        }
        call = await _failed_call(stack, step, {"user": {"name": "Ann"}})
        message = call["error"]["message"]
        assert "url rendered empty where its template reads {{ user.id }}" in message
        assert "headers.X-Api-Key rendered empty where its template reads {{ api_key }}" in message
        assert peer.requests == []


async def test_a_slack_url_left_empty_is_named(stack: Stack) -> None:
    step = {"type": "slack", "url": "{{ slack_hook }}", "text": "Hello"}
    call = await _failed_call(stack, step, {})
    assert "{{ slack_hook }}" in call["error"]["message"]


async def test_the_same_call_with_its_variables_goes_out(stack: Stack) -> None:
    with RecordingHttpServer() as peer:
        workflow = await stack.create_active(
            calling(
                {
                    "type": "http_request",
                    "url": peer.url("/users/{{ user.id }}/notify"),
                    "headers": {"X-Api-Key": "{{ api_key }}"},
                }
            )
        )
        data = {"user": {"id": "u1"}, "api_key": "k-1"}
        started = await stack.api.post(
            f"/v1/workflows/{workflow['id']}/execute", json={"input": data}
        )
        run = await stack.wait_run(started.json()["id"], finished)
        assert (run["status"], run["steps_failed"]) == ("completed", 0)
        [request] = peer.requests
        assert (request.path, request.headers["x-api-key"]) == ("/users/u1/notify", "k-1")
