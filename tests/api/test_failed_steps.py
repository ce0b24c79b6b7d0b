"""Runs tell the truth about failures: a run that went on past a failed step (``on_error:
continue``, the default) ends ``completed``, but its failed steps are counted in its listing and
detail, it is found by ``has_failed_steps``, and it is no success in any statistic."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Stack, finished
from tests.helpers.peers import unused_port


def best_effort() -> dict[str, Any]:
    """Its only action fails at once (nothing listens on the port), and the run goes on."""
    return {
        "name": "Best effort",
        "trigger": {"type": "manual"},
        "steps": [
            {"id": "notify", "type": "http_request",
             "url": f"http://127.0.0.1:{unused_port()}/hook", "retry": {"max_attempts": 1}},
            {"id": "vip", "type": "send_email", "when": {"field": "vip", "operator": "eq",
             "value": True}, "to": "vip@example.com", "subject": "Hi", "body": "Hello"},
            {"id": "note", "type": "set", "values": {"done": True}},
        ],
    }  # fmt: skip


CLEAN = {
    "name": "Clean",
    "trigger": {"type": "manual"},
    "steps": [{"id": "note", "type": "set", "values": {"done": True}}],
}


async def _run(stack: Stack, workflow: dict[str, Any]) -> dict[str, Any]:
    started = await stack.api.post(f"/v1/workflows/{workflow['id']}/execute", json={})
    assert started.status_code == 202, started.text
    return await stack.wait_run(started.json()["id"], finished)


async def _ids(stack: Stack, path: str, **params: Any) -> set[str]:
    response = await stack.api.get(path, params=params)
    assert response.status_code == 200, response.text
    return {run["id"] for run in response.json()["items"]}


async def test_a_run_past_a_failed_step_counts_its_steps_and_is_found_by_them(
    stack: Stack,
) -> None:
    failing = await stack.create_active(best_effort())
    clean = await stack.create_active(CLEAN)
    run = await _run(stack, failing)
    other = await _run(stack, clean)

    assert run["status"] == "completed"
    assert (run["steps_failed"], run["steps_completed"], run["steps_skipped"]) == (1, 1, 1)
    assert (other["steps_failed"], other["steps_completed"], other["steps_skipped"]) == (0, 1, 0)
    listed = {r["id"]: r for r in (await stack.api.get("/v1/runs")).json()["items"]}
    assert (listed[run["id"]]["steps_failed"], listed[run["id"]]["steps_completed"]) == (1, 1)

    assert await _ids(stack, "/v1/runs", has_failed_steps="true") == {run["id"]}
    assert await _ids(stack, "/v1/runs", has_failed_steps="false") == {other["id"]}
    assert await _ids(stack, "/v1/runs", has_failed_steps="true", status="completed") == {run["id"]}
    runs_of = f"/v1/workflows/{failing['id']}/runs"
    assert await _ids(stack, runs_of, has_failed_steps="true") == {run["id"]}
    assert await _ids(stack, runs_of, has_failed_steps="false") == set()
    refused = await stack.api.get("/v1/runs", params={"has_failed_steps": "maybe"})
    assert refused.status_code == 422


async def test_a_workflow_whose_only_action_always_failed_is_no_success(stack: Stack) -> None:
    failing = await stack.create_active(best_effort())
    clean = await stack.create_active(CLEAN)
    for _ in range(2):
        await _run(stack, failing)
    await _run(stack, clean)

    stats = (await stack.api.get("/v1/stats")).json()
    assert {k: stats["overall"][k] for k in ("runs", "succeeded", "failed", "with_failed_steps")} == {
        "runs": 3, "succeeded": 1, "failed": 2, "with_failed_steps": 2
    }  # fmt: skip
    by_id = {row["workflow_id"]: row for row in stats["workflows"]}
    assert (by_id[failing["id"]]["success_rate"], by_id[failing["id"]]["failed"]) == (0.0, 2)
    assert by_id[clean["id"]]["success_rate"] == 1.0
    [problem] = stats["problematic"]
    assert problem["workflow"]["workflow_id"] == failing["id"]
    assert problem["reasons"] == ["100% of ended runs failed (2 went on past failed steps)"]

    one = (await stack.api.get(f"/v1/workflows/{failing['id']}/stats")).json()
    assert (one["workflow"]["succeeded"], one["workflow"]["failed"]) == (0, 2)
    assert {s["node_id"]: s["failed"] for s in one["steps"]} == {"notify": 2, "vip": 0}

    figures = (await stack.api.get(f"/v1/workflows/{failing['id']}/analytics")).json()
    assert figures["by_status"] == {"completed": 2}
    assert (figures["succeeded"], figures["failed"], figures["with_failed_steps"]) == (0, 2, 2)
    assert figures["success_rate"] == 0.0
