"""A workflow's trigger ``rate_limit`` over the real API and Temporal: runs over the limit are
dropped (and reported on the event) or deferred to the next window, never more than the limit
started in a window, however many events arrive at once."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from tests.api.conftest import Stack, finished, problem


def _limited(**rate_limit: Any) -> dict[str, Any]:
    return {
        "name": "Limited",
        "trigger": {"type": "event", "event": "lead.scored", "rate_limit": rate_limit},
        "steps": [{"id": "mark", "type": "set", "values": {"seen": "{{ score }}"}}],
    }


def _event(event_id: str) -> dict[str, Any]:
    return {"type": "lead.scored", "id": event_id, "data": {"score": 7}}


async def _event_view(stack: Stack, event_id: str) -> dict[str, Any]:
    response = await stack.api.get(f"/v1/events/{event_id}")
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_three_runs_start_in_a_window_and_the_fourth_is_dropped(stack: Stack) -> None:
    workflow = await stack.create_active(_limited(max=3, per="P1D", over="drop"))
    ids = [f"evt-rl-{i}" for i in range(4)]
    answers = await asyncio.gather(*(stack.api.post("/v1/events", json=_event(i)) for i in ids))
    assert [a.status_code for a in answers] == [202] * 4
    started = [run for a in answers for run in a.json()["runs"]]
    assert [r["status"] for r in started] == ["started"] * 3, [r["status"] for r in started]

    views = {i: await _event_view(stack, i) for i in ids}
    outcomes = sorted(v["outcomes"][0]["outcome"] for v in views.values())
    assert outcomes == ["rate_limited", "started", "started", "started"]
    [dropped] = [v for v in views.values() if v["outcomes"][0]["outcome"] == "rate_limited"]
    assert dropped["outcomes"][0]["workflow_id"] == workflow["id"]
    assert dropped["outcomes"][0]["run_id"] is None
    assert "at most 3 run(s)" in dropped["outcomes"][0]["detail"]
    assert "3 started and 1 event(s) dropped" in dropped["outcomes"][0]["detail"]
    assert dropped["runs"] == []
    # A redelivery of the dropped event is dropped again, and counted again.
    again = await stack.api.post("/v1/events", json=_event(dropped["id"]))
    assert again.json()["runs"] == []
    detail = (await _event_view(stack, dropped["id"]))["outcomes"][0]["detail"]
    assert "2 event(s) dropped" in detail
    runs = (await stack.api.get(f"/v1/workflows/{workflow['id']}/runs")).json()["items"]
    assert len(runs) == 3
    for run in runs:
        assert (await stack.wait_run(run["id"], finished))["status"] == "completed"


async def test_a_deferred_run_starts_at_the_next_window(stack: Stack) -> None:
    await stack.create_active(_limited(max=1, per="PT3S"))  # "over" defaults to defer
    # One request, so both events fall in the same 3 s window however loaded the machine is.
    answer = await stack.api.post("/v1/events", json=[_event("evt-d1"), _event("evt-d2")])
    assert answer.status_code == 202, answer.text
    first, second = answer.json()
    assert [r["status"] for r in first["runs"]] == ["started"]
    assert [r["status"] for r in second["runs"]] == ["deferred"]

    [outcome] = (await _event_view(stack, "evt-d2"))["outcomes"]
    assert outcome["outcome"] == "deferred"
    assert outcome["run_id"] == second["runs"][0]["id"]
    assert "the run starts at" in outcome["detail"]
    run = await stack.wait_run(second["runs"][0]["id"], finished)
    assert run["status"] == "completed"
    starts_at = datetime.fromisoformat(run["trigger"]["deferred_to"])
    assert starts_at.second % 3 == 0 and starts_at.microsecond == 0
    first_run = await stack.wait_run(first["runs"][0]["id"], finished)
    assert datetime.fromisoformat(first_run["steps"][0]["started_at"]) < starts_at
    assert datetime.fromisoformat(run["steps"][0]["started_at"]) >= starts_at


async def test_a_malformed_rate_limit_is_refused_with_paths(stack: Stack) -> None:
    bad = {"max": 0, "per": "soon", "over": "later", "burst": 2}
    body = problem(await stack.api.post("/v1/workflows", json=_limited(**bad)), 422)
    assert sorted(e["path"] for e in body["errors"]) == [
        "trigger.rate_limit.burst", "trigger.rate_limit.max", "trigger.rate_limit.over",
        "trigger.rate_limit.per",
    ]  # fmt: skip
    no_period = problem(await stack.api.post("/v1/workflows", json=_limited(max=5)), 422)
    assert [e["path"] for e in no_period["errors"]] == ["trigger.rate_limit.per"]
