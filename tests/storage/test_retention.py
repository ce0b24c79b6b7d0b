"""Retention removes exactly what is older than the cut-off, in batches, and no open run.

The rows are dated around 1980, older than any other test's, so the counts are this test's own.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, select

from storage.db import session_scope
from storage.models import (
    AlertMark,
    Delivery,
    Event,
    EventOutcome,
    Notification,
    RecordChange,
    Run,
    RunStep,
    RunWatch,
)
from storage.retention import apply_retention

MODELS: tuple[Any, ...] = (
    Run, RunStep, Delivery, RunWatch, Event, EventOutcome, Notification, RecordChange, AlertMark
)  # fmt: skip
CUT = datetime(1980, 6, 1, tzinfo=UTC)
BEFORE = CUT - timedelta(seconds=1)
AFTER = CUT + timedelta(seconds=1)


def _id() -> str:
    return uuid.uuid4().hex[:12]


def _run(rows: list[SQLModel], tenant: str, status: str, ended: datetime | None) -> str:
    """A run with two steps, a delivery and a watch, all as old as the run."""
    run_id = f"run_{_id()}"
    started = (ended or CUT) - timedelta(days=400)
    rows.append(
        Run(
            id=run_id, tenant_id=tenant, workflow_id="wf_1", version=1, status=status,
            started_at=started, completed_at=ended,
        )
    )  # fmt: skip
    for seq in (1, 2):
        rows.append(
            RunStep(
                tenant_id=tenant, run_id=run_id, step_key=f"s{seq}", seq=seq, node_id=f"s{seq}",
                type="send_email", status="completed", started_at=started, completed_at=started,
            )
        )  # fmt: skip
    rows.append(_delivery(tenant, run_id, started))
    rows.append(_watch(tenant, run_id, started))
    return run_id


def _delivery(tenant: str, run_id: str, created: datetime) -> Delivery:
    return Delivery(
        tenant_id=tenant, idempotency_key=_id(), run_id=run_id, step_key="s1", channel="email",
        transport="console", status="sent", created_at=created,
    )  # fmt: skip


def _watch(tenant: str, run_id: str, created: datetime) -> RunWatch:
    return RunWatch(
        tenant_id=tenant, run_id=run_id, entity="bk_1", event_type="*", created_at=created
    )


def _dated(tenant: str, when: datetime) -> list[SQLModel]:
    """One row of each table that is cleaned up by its own age."""
    return [
        Event(tenant_id=tenant, event_id=_id(), type="x.y", occurred_at=when, received_at=when,
              data={}),
        EventOutcome(tenant_id=tenant, event_id=_id(), workflow_id="wf_1", outcome="started",
                     created_at=when),
        Notification(tenant_id=tenant, recipient="admins", message="hi", created_at=when),
        RecordChange(tenant_id=tenant, record_uid=1, record_type="contact", record_id="c1",
                     kind="updated", version=2, changes={}, previous={}, created_at=when),
        _delivery(tenant, f"run_gone_{_id()}", when),
        _watch(tenant, f"run_gone_{_id()}", when),
        AlertMark(tenant_id=tenant, workflow_id=_id(), kind="alert.slow_runs", alerted_at=when),
    ]  # fmt: skip


def _remaining(engine: Engine, tenant: str) -> dict[str, Any]:
    with session_scope(engine) as session:
        return {
            model.__tablename__: len(
                session.exec(select(model).where(model.tenant_id == tenant)).all()
            )
            for model in MODELS
        }


def test_rows_older_than_the_cutoff_go_in_batches_and_open_runs_stay(engine: Engine) -> None:
    tenant = f"t_{_id()}"
    rows: list[SQLModel] = []
    old = [_run(rows, tenant, "completed", BEFORE - timedelta(days=n)) for n in range(4)]
    old.append(_run(rows, tenant, "failed", BEFORE))
    kept = [
        _run(rows, tenant, "completed", CUT),  # exactly at the cut-off: not older
        _run(rows, tenant, "cancelled", AFTER),
        _run(rows, tenant, "waiting", None),  # open for 400 days: kept with all of its rows
        _run(rows, tenant, "running", None),
    ]
    rows += _dated(tenant, BEFORE) + _dated(tenant, CUT)
    with session_scope(engine) as session:
        session.add_all(rows)

    report = apply_retention(engine, CUT, batch_size=2)

    assert report.deleted == {
        "runs": 5, "run_steps": 10, "deliveries": 5 + 1, "run_watches": 5 + 1, "events": 1,
        "event_outcomes": 1, "notifications": 1, "record_changes": 1, "alert_marks": 1,
    }  # fmt: skip
    # 5 runs 2 at a time take 3 transactions; each other table's one row, 1 each.
    assert report.batches == 3 + 7
    with session_scope(engine) as session:
        remaining = set(session.exec(select(Run.id).where(Run.tenant_id == tenant)))
    assert remaining == set(kept)
    assert _remaining(engine, tenant) == {
        "runs": 4, "run_steps": 8, "deliveries": 4 + 1, "run_watches": 4 + 1, "events": 1,
        "event_outcomes": 1, "notifications": 1, "record_changes": 1, "alert_marks": 1,
    }  # fmt: skip


def test_a_second_pass_finds_nothing_more(engine: Engine) -> None:
    tenant = f"t_{_id()}"
    rows: list[SQLModel] = []
    _run(rows, tenant, "completed", BEFORE)
    with session_scope(engine) as session:
        session.add_all(rows)
    assert apply_retention(engine, CUT).deleted["runs"] == 1
    again = apply_retention(engine, CUT)
    assert sum(again.deleted.values()) == 0
