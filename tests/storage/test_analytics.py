"""Analytics and statistics over rows whose outcomes the test writes itself."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from storage.analytics import Period, transitions, workflow_analytics
from storage.db import session_scope
from storage.models import Run, RunStep
from storage.stats import step_stats, workflow_stats
from storage.tenants import create_tenant
from storage.workflows import create_workflow

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PERIOD = Period(T0, T0 + timedelta(days=1))


def _run(
    session: Any,
    tenant: str,
    workflow: str,
    status: str,
    path: list[tuple[str, str, str]],
    *,
    seconds: float | None = None,
    started: datetime = T0 + timedelta(hours=1),
    goal: str | None = None,
    variant: str | None = None,
    version: int = 1,
) -> str:
    """A run with its steps ``(node_id, type, status)``, in order, a second apart."""
    run_id = f"run_{uuid.uuid4().hex[:12]}"
    completed = None if seconds is None else started + timedelta(seconds=seconds)
    session.add(
        Run(
            id=run_id, tenant_id=tenant, workflow_id=workflow, version=version, status=status,
            started_at=started, completed_at=completed, goal=goal, variant=variant,
        )
    )  # fmt: skip
    for seq, (node_id, kind, step_status) in enumerate(path, start=1):
        begun = started + timedelta(seconds=seq)
        session.add(
            RunStep(
                tenant_id=tenant, run_id=run_id, step_key=node_id, seq=seq, node_id=node_id,
                type=kind, status=step_status, attempts=1, started_at=begun,
                completed_at=None if step_status == "waiting" else begun + timedelta(seconds=2),
            )
        )  # fmt: skip
    return run_id


@pytest.fixture
def seeded(engine: Engine) -> dict[str, str]:
    call = [("ab", "split", "completed"), ("call", "http_request", "completed")]
    with session_scope(engine) as session:
        tenant, other = create_tenant(session, "Acme")[0].id, create_tenant(session, "Other")[0].id
        goal = {"id": "won", "type": "goal", "config": {"condition": {}, "value": 25}}
        wf = create_workflow(session, tenant, {"name": "Nurture", "nodes": [goal]}, {}).id
        wf2 = create_workflow(session, tenant, {"name": "Mail", "nodes": []}, {}).id
        for seconds, variant in ((10, "A"), (20, "A"), (30, "B"), (40, "B")):
            _run(session, tenant, wf, "completed", call, seconds=seconds, variant=variant)
        _run(session, tenant, wf, "goal_reached", [("ab", "split", "completed"),
             ("won", "goal", "completed")], seconds=50, goal="won", variant="A")  # fmt: skip
        _run(session, tenant, wf, "goal_reached", [("ab", "split", "completed"),
             ("won", "goal", "completed")], seconds=60, goal="won", variant="B")  # fmt: skip
        _run(session, tenant, wf, "failed", [("ab", "split", "completed"),
             ("call", "http_request", "failed")], seconds=5, variant="B")  # fmt: skip
        _run(session, tenant, wf, "waiting", [*call, ("hold", "wait_for_event", "waiting")],
             variant="A")  # fmt: skip
        # Outside the period, another workflow, another tenant: none of them count.
        _run(session, tenant, wf, "failed", call, seconds=1, started=T0 - timedelta(hours=1))
        _run(session, tenant, wf2, "failed", [("x", "send_email", "failed")], seconds=90)
        _run(session, other, wf, "failed", call, seconds=1)
    return {"tenant": tenant, "workflow": wf, "other_workflow": wf2}


def test_analytics_count_statuses_goals_times_and_variants(
    engine: Engine, seeded: dict[str, str]
) -> None:
    with session_scope(engine) as session:
        figures = workflow_analytics(session, seeded["tenant"], seeded["workflow"], PERIOD)
    assert figures.runs == 8
    assert figures.by_status == {"completed": 4, "goal_reached": 2, "failed": 1, "waiting": 1}
    assert (figures.conversions, figures.conversion_rate) == (2, 0.25)
    assert figures.goal_value == 50.0
    assert [(g.goal, g.conversions, g.value) for g in figures.goals] == [("won", 2, 50.0)]
    # Completed or goal_reached: 10, 20, 30, 40, 50, 60 s.
    assert figures.completion.runs == 6
    assert figures.completion.average_seconds == pytest.approx(35.0, abs=0.01)
    assert figures.completion.median_seconds == pytest.approx(35.0, abs=0.01)
    assert [(v.variant, v.runs, v.conversions, v.conversion_rate, v.failed)
            for v in figures.variants] == [("A", 4, 1, 0.25, 0), ("B", 4, 1, 0.25, 1)]  # fmt: skip


def test_drop_off_shows_where_runs_ended_and_where_they_wait(
    engine: Engine, seeded: dict[str, str]
) -> None:
    with session_scope(engine) as session:
        figures = workflow_analytics(session, seeded["tenant"], seeded["workflow"], PERIOD)
    drop = {d.node_id: (d.ended, d.waiting) for d in figures.drop_off}
    assert drop == {
        "call": ({"completed": 4, "failed": 1}, 0),
        "won": ({"goal_reached": 2}, 0),
        "hold": ({}, 1),
    }
    nodes = {n.node_id: n for n in figures.nodes}
    assert (nodes["ab"].visits, nodes["call"].visits, nodes["hold"].visits) == (8, 6, 1)
    assert (nodes["call"].completed, nodes["call"].failed) == (5, 1)
    assert nodes["call"].success_rate == pytest.approx(5 / 6, abs=1e-4)
    assert nodes["call"].average_seconds == pytest.approx(2.0, abs=0.01)
    assert (nodes["hold"].open, nodes["hold"].average_seconds) == (1, None)


def test_stats_per_workflow_and_per_action_step(engine: Engine, seeded: dict[str, str]) -> None:
    with session_scope(engine) as session:
        rows = workflow_stats(session, seeded["tenant"], PERIOD)
        steps = step_stats(session, seeded["tenant"], seeded["workflow"], PERIOD)
    by_id = {row.workflow_id: row for row in rows}
    main, other = by_id[seeded["workflow"]], by_id[seeded["other_workflow"]]
    assert (main.total, main.succeeded, main.failed, main.open) == (8, 6, 1, 1)
    assert main.success_rate == pytest.approx(6 / 7, abs=1e-4)
    assert main.last_executed == T0 + timedelta(hours=1)
    assert (other.total, other.failed, other.failure_rate, other.slow_runs) == (1, 1, 1.0, 1)
    assert [r.workflow_id for r in rows] == [seeded["workflow"], seeded["other_workflow"]]
    [call] = steps  # only action steps: not the split, the goal or the wait
    assert (call.node_id, call.total, call.succeeded, call.failed, call.skipped) == (
        "call",
        6,
        5,
        1,
        0,
    )
    assert call.last_executed == T0 + timedelta(hours=1, seconds=2)


def test_transitions_follow_consecutive_steps(engine: Engine, seeded: dict[str, str]) -> None:
    with session_scope(engine) as session:
        moves = transitions(session, seeded["tenant"], seeded["workflow"], PERIOD)
    assert moves.entries == {"ab": 8}
    assert moves.pairs == {("ab", "call"): 6, ("ab", "won"): 2, ("call", "hold"): 1}
    assert moves.visits == {"ab": 8, "call": 6, "won": 2, "hold": 1}


def test_an_empty_period_has_no_figures(engine: Engine, seeded: dict[str, str]) -> None:
    empty = Period(T0 + timedelta(days=5), T0 + timedelta(days=6))
    with session_scope(engine) as session:
        figures = workflow_analytics(session, seeded["tenant"], seeded["workflow"], empty)
    assert (figures.runs, figures.conversion_rate, figures.completion.median_seconds) == (
        0, None, None
    )  # fmt: skip
    assert figures.nodes == figures.drop_off == figures.variants == []
