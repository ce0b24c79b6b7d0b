"""Steps carry their run's workflow, start and status and the node before them (kept by the
database), so analytics read steps alone: the figures hold whatever order rows arrive in."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from storage.analytics import Period, transitions, workflow_analytics
from storage.db import session_scope
from storage.models import Run
from storage.runs import finish_run, record_step, set_run_status, start_run

T0 = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
PERIOD = Period(T0, T0 + timedelta(days=1))


def _ids() -> tuple[str, str, str]:
    return f"t_{uuid.uuid4().hex[:8]}", f"wf_{uuid.uuid4().hex[:8]}", f"run_{uuid.uuid4().hex}"


def _step(engine: Engine, tenant: str, run_id: str, seq: int, node: str, status: str) -> None:
    with session_scope(engine) as session:
        record_step(
            session,
            tenant,
            run_id,
            {
                "step_key": node, "seq": seq, "node_id": node, "type": "send_email",
                "status": status, "started_at": T0 + timedelta(seconds=seq),
                "completed_at": None if status == "waiting" else T0 + timedelta(seconds=seq + 1),
            },
        )  # fmt: skip


def _start(engine: Engine, tenant: str, workflow: str, run_id: str) -> None:
    with session_scope(engine) as session:
        run = Run(id=run_id, tenant_id=tenant, workflow_id=workflow, version=1, started_at=T0)
        start_run(session, run)


def test_steps_written_before_their_run_and_out_of_order_are_counted(engine: Engine) -> None:
    tenant, workflow, run_id = _ids()
    for seq, node in ((2, "b"), (1, "a"), (3, "c")):
        _step(engine, tenant, run_id, seq, node, "completed")
    _start(engine, tenant, workflow, run_id)
    with session_scope(engine) as session:
        finish_run(session, run_id, "completed", T0 + timedelta(minutes=1), None)
    with session_scope(engine) as session:
        moves = transitions(session, tenant, workflow, PERIOD)
        figures = workflow_analytics(session, tenant, workflow, PERIOD)
    assert moves.pairs == {("a", "b"): 1, ("b", "c"): 1}
    assert (moves.entries, moves.visits) == ({"a": 1}, {"a": 1, "b": 1, "c": 1})
    assert [(d.node_id, d.ended, d.waiting) for d in figures.drop_off] == [
        ("c", {"completed": 1}, 0)
    ]
    assert [(n.node_id, n.visits, n.average_seconds) for n in figures.nodes] == [
        ("a", 1, 1.0), ("b", 1, 1.0), ("c", 1, 1.0)
    ]  # fmt: skip


def test_a_run_that_stops_waiting_moves_from_waiting_to_where_it_ended(engine: Engine) -> None:
    tenant, workflow, run_id = _ids()
    _start(engine, tenant, workflow, run_id)
    _step(engine, tenant, run_id, 1, "mail", "completed")
    _step(engine, tenant, run_id, 2, "hold", "waiting")
    with session_scope(engine) as session:
        set_run_status(session, run_id, "waiting", only_from="running")
    with session_scope(engine) as session:
        waiting = workflow_analytics(session, tenant, workflow, PERIOD)
    assert [(d.node_id, d.ended, d.waiting) for d in waiting.drop_off] == [("hold", {}, 1)]

    _step(engine, tenant, run_id, 2, "hold", "cancelled")
    with session_scope(engine) as session:
        finish_run(session, run_id, "cancelled", T0 + timedelta(hours=1), None)
    with session_scope(engine) as session:
        ended = workflow_analytics(session, tenant, workflow, PERIOD)
    assert ended.by_status == {"cancelled": 1}
    assert [(d.node_id, d.ended, d.waiting) for d in ended.drop_off] == [
        ("hold", {"cancelled": 1}, 0)
    ]


def test_steps_of_another_period_workflow_or_tenant_are_not_counted(engine: Engine) -> None:
    tenant, workflow, run_id = _ids()
    _start(engine, tenant, workflow, run_id)
    _step(engine, tenant, run_id, 1, "mail", "completed")
    other_period = Period(T0 + timedelta(days=1), T0 + timedelta(days=2))
    with session_scope(engine) as session:
        assert transitions(session, tenant, workflow, other_period).visits == {}
        assert transitions(session, tenant, "wf_other", PERIOD).visits == {}
        assert transitions(session, "t_other", workflow, PERIOD).visits == {}
        assert transitions(session, tenant, workflow, PERIOD).visits == {"mail": 1}
