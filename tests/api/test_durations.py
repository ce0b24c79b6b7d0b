"""Durations below a second, in every form a definition may write them: retries 100 ms apart,
a half-second wait, a timeout in milliseconds."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Stack, finished
from tests.helpers.peers import RecordingHttpServer


def quick(url: str) -> dict[str, Any]:
    return {
        "name": "Quick retries",
        "trigger": {"type": "manual"},
        "steps": [
            {"id": "settle", "type": "wait", "duration": "PT0.5S"},
            {"id": "call", "type": "http_request", "url": url, "timeout": "1500ms",
             "retry": {"max_attempts": 3, "initial_interval": "100ms", "max_interval": "0.2s"}},
            {"id": "pause", "type": "wait", "duration": {"milliseconds": 150}},
        ],
    }  # fmt: skip


async def test_sub_second_durations_are_accepted_and_take_effect(stack: Stack) -> None:
    with RecordingHttpServer() as peer:
        peer.script(503)
        peer.script(503)
        checked = await stack.api.post("/v1/workflows/validate", json=quick(peer.url("/hook")))
        assert (checked.json()["valid"], checked.json()["errors"]) == (True, [])
        workflow = await stack.create_active(quick(peer.url("/hook")))
        call = next(n for n in workflow["definition"]["nodes"] if n["id"] == "call")
        assert (call["retry"]["initial_interval"], call["retry"]["max_interval"]) == (0.1, 0.2)
        assert call["timeout"] == 1.5

        started = await stack.api.post(f"/v1/workflows/{workflow['id']}/execute", json={})
        run = await stack.wait_run(started.json()["id"], finished)

    assert run["status"] == "completed", run
    steps = {step["node_id"]: step for step in run["steps"]}
    assert (steps["call"]["status"], steps["call"]["attempts"]) == ("completed", 3)
    assert steps["settle"]["duration_ms"] >= 500
    assert steps["pause"]["duration_ms"] >= 150
    assert len(peer.requests) == 3


async def test_a_malformed_sub_second_duration_is_refused_with_its_path(stack: Stack) -> None:
    document = quick("https://example.com/hook")
    document["steps"][1]["retry"]["initial_interval"] = "100mss"
    refused = await stack.api.post("/v1/workflows", json=document)
    assert refused.status_code == 422
    errors = refused.json()["errors"]
    assert {error["path"] for error in errors} == {"steps[1].retry.initial_interval"}
    assert any("100ms" in error["message"] for error in errors)  # the sub-second example
