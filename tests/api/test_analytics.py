"""Statistics and a workflow's analytics over real runs whose outcomes the test controls."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator

import pytest

from tests.api.analytics_runs import Seeded, seed_runs, stop_waiting
from tests.api.conftest import Stack, problem
from tests.helpers.peers import RecordingHttpServer


@pytest.fixture
async def seeded(stack: Stack) -> AsyncIterator[Seeded]:
    with RecordingHttpServer() as peer:
        seeded = await seed_runs(stack, peer)
        yield seeded
        await stop_waiting(stack, seeded)


async def test_analytics_count_statuses_goals_drop_off_and_variants(
    stack: Stack, seeded: Seeded
) -> None:
    response = await stack.api.get(f"/v1/workflows/{seeded.workflow['id']}/analytics")
    assert response.status_code == 200, response.text
    figures = response.json()
    assert figures["runs"] == 9
    assert figures["by_status"] == {"goal_reached": 2, "completed": 3, "failed": 2, "waiting": 2}
    assert (figures["conversions"], figures["conversion_rate"]) == (2, round(2 / 9, 4))
    assert figures["goal_value"] == 50.0
    assert figures["completion"]["runs"] == 5
    assert 0 < figures["completion"]["median_seconds"] < 10

    variant = {run["id"]: run["variant"] for run in seeded.runs}
    by_variant = Counter(variant.values())
    won = Counter(run["variant"] for run in seeded.runs if run["goal"] == "won")
    assert {v["variant"]: (v["runs"], v["conversions"]) for v in figures["variants"]} == {
        name: (count, won[name]) for name, count in by_variant.items()
    }

    # Where runs stopped: waiting runs at the wait, failed ones at their call.
    drop = {d["node_id"]: d for d in figures["drop_off"]}
    assert (drop["hold"]["waiting"], drop["hold"]["ended"]) == (2, {})
    assert drop["check"]["ended"] == {"completed": 3}  # its false branch ends the run
    assert drop["won"]["ended"] == {"goal_reached": 2}
    failed_at = Counter(f"call_{run['variant'].lower()}" for run in seeded.runs
                        if run["status"] == "failed")  # fmt: skip
    assert {n: drop[n]["ended"].get("failed", 0) for n in failed_at} == dict(failed_at)

    nodes = {n["node_id"]: n for n in figures["nodes"]}
    assert nodes["ab"]["visits"] == 9  # the goal runs end right after it, before a call
    assert (nodes["check"]["visits"], nodes["check"]["completed"]) == (5, 5)
    assert (nodes["hold"]["visits"], nodes["hold"]["open"]) == (2, 2)
    calls = [nodes[n] for n in ("call_a", "call_b") if n in nodes]
    assert sum(c["completed"] for c in calls) == 5
    assert sum(c["failed"] for c in calls) == 2


async def test_stats_name_problematic_workflows_and_per_step_figures(
    stack: Stack, seeded: Seeded
) -> None:
    stats = (await stack.api.get("/v1/stats")).json()
    assert stats["overall"]["runs"] == 9
    assert (stats["overall"]["succeeded"], stats["overall"]["failed"]) == (5, 2)
    assert stats["top"][0]["workflow_id"] == seeded.workflow["id"]
    assert stats["top"][0]["name"] == "Nurture leads"
    assert stats["problematic"] == []  # 2 of 7 ended runs failed, none slow

    one = (await stack.api.get(f"/v1/workflows/{seeded.workflow['id']}/stats")).json()
    assert one["workflow"]["success_rate"] == round(5 / 7, 4)
    steps = {s["node_id"]: s for s in one["steps"]}
    assert set(steps) <= {"call_a", "call_b"}
    assert sum(s["total"] for s in steps.values()) == 7
    assert all(s["last_executed"] for s in steps.values())

    async with stack.other_tenant() as other:
        assert (await other.get("/v1/stats")).json()["overall"]["runs"] == 0
        problem(await other.get(f"/v1/workflows/{seeded.workflow['id']}/analytics"), 404)


async def test_a_period_selects_runs_by_start(stack: Stack, seeded: Seeded) -> None:
    path = f"/v1/workflows/{seeded.workflow['id']}/analytics"
    past = await stack.api.get(path, params={"from": "2020-01-01", "to": "2020-02-01"})
    assert past.json()["runs"] == 0
    body = problem(
        await stack.api.get(path, params={"from": "2030-01-01", "to": "2020-01-01"}), 422
    )
    assert body["errors"][0]["path"] == "from"
    problem(await stack.api.get(path, params={"from": "yesterday"}), 422)
