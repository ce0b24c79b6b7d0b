"""Runs whose outcomes a test controls, for the analytics and flow-picture tests: each lead's
event data decides whether its run reaches the goal, completes, fails or waits."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.api.conftest import Stack
from tests.helpers.peers import RecordingHttpServer, unused_port


def nurture(url: str) -> dict[str, Any]:
    call = {"type": "http_request", "url": "{{ target }}", "retry": {"max_attempts": 1},
            "on_error": "stop"}  # fmt: skip
    return {
        "name": "Nurture leads",
        "trigger": {"type": "event", "event": "lead.created", "entity": "{{ lead_id }}"},
        "nodes": [
            {"id": "ab", "type": "split",
             "variants": [{"name": "A", "weight": 50}, {"name": "B", "weight": 50}]},
            {"id": "call_a", **call},
            {"id": "call_b", **call},
            {"id": "check", "type": "condition",
             "condition": {"field": "hold", "operator": "eq", "value": True}},
            {"id": "hold", "type": "wait_for_event", "event": "lead.replied", "timeout": "P30D"},
            {"id": "won", "type": "goal", "value": 25,
             "condition": {"field": "converted", "operator": "eq", "value": True}},
        ],
        "edges": [
            {"from": "trigger", "to": "ab"},
            {"from": "ab", "to": "call_a", "when": "A"},
            {"from": "ab", "to": "call_b", "when": "B"},
            {"from": "call_a", "to": "check"},
            {"from": "call_b", "to": "check"},
            {"from": "check", "to": "hold", "when": "true"},
        ],
    }  # fmt: skip


OUTCOMES = ["goal_reached"] * 2 + ["completed"] * 3 + ["failed"] * 2 + ["waiting"] * 2


@dataclass
class Seeded:
    workflow: dict[str, Any]
    runs: list[dict[str, Any]]
    """Each run's detail (GET /v1/runs/{id}) once it has reached its outcome."""


async def seed_runs(stack: Stack, peer: RecordingHttpServer) -> Seeded:
    workflow = await stack.create_active(nurture(peer.url("/")))
    dead = f"http://127.0.0.1:{unused_port()}/"
    runs = []
    for i, outcome in enumerate(OUTCOMES):
        data = {
            "lead_id": f"lead-{i}",
            "converted": outcome == "goal_reached",
            "hold": outcome == "waiting",
            "target": dead if outcome == "failed" else peer.url(f"/lead-{i}"),
        }
        sent = await stack.api.post("/v1/events", json={"type": "lead.created", "data": data})
        run_id = sent.json()["runs"][0]["id"]
        runs.append(await stack.wait_run(run_id, lambda r, o=outcome: r["status"] == o))
    return Seeded(workflow, runs)


async def stop_waiting(stack: Stack, seeded: Seeded) -> None:
    for run in seeded.runs:
        if run["status"] == "waiting":
            await stack.client.get_workflow_handle(run["id"]).terminate("test over")
