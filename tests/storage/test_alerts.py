"""Alerts: workflows failing or slow in the hour before the check, each alerted once an hour.

The rows are dated 1999 so that no other test's runs fall into the hour checked.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from storage.alerts import FAILING, SLOW, SYSTEM_TENANT, Alert, claim, raise_alerts
from storage.db import session_scope
from storage.models import Run, RunStep
from storage.notifications import notifications_query
from storage.tenants import create_tenant
from storage.workflows import create_workflow

AT = datetime(1999, 6, 1, 12, 0, tzinfo=UTC)


def _run(
    session: Session,
    tenant: str,
    workflow: str,
    status: str,
    *,
    ended: datetime = AT - timedelta(minutes=10),
    steps: tuple[tuple[str, float], ...] = (("send_email", 1.0),),
    step_status: str | None = None,
) -> None:
    """A run that ended at ``ended`` after its steps ``(type, seconds)``, one after another;
    its steps end ``step_status`` (by default: failed in a failed run, else completed)."""
    step_status = step_status or ("failed" if status == "failed" else "completed")
    run_id = f"run_{uuid.uuid4().hex[:12]}"
    started = ended - timedelta(seconds=sum(seconds for _, seconds in steps) + 1)
    session.add(
        Run(
            id=run_id, tenant_id=tenant, workflow_id=workflow, version=1, status=status,
            started_at=started, completed_at=ended,
        )
    )  # fmt: skip
    at = started
    for seq, (kind, seconds) in enumerate(steps, start=1):
        session.add(
            RunStep(
                tenant_id=tenant, run_id=run_id, step_key=f"s{seq}", seq=seq, node_id=f"s{seq}",
                type=kind, status=step_status, attempts=1, started_at=at,
                completed_at=at + timedelta(seconds=seconds),
            )
        )  # fmt: skip
        at += timedelta(seconds=seconds)


def _workflow(session: Session, tenant: str, name: str) -> str:
    return create_workflow(session, tenant, {"name": name, "nodes": []}, {}).id


@pytest.fixture
def seeded(engine: Engine) -> dict[str, Any]:
    with session_scope(engine) as session:
        tenant = create_tenant(session, "Acme")[0].id
        failing = _workflow(session, tenant, "Reminders")
        half = _workflow(session, tenant, "Half")
        slow = _workflow(session, tenant, "Sync")
        patient = _workflow(session, tenant, "Nurture")
        healthy = _workflow(session, tenant, "Welcome")
        for status in ("failed", "failed", "failed", "completed"):
            _run(session, tenant, failing, status)
        # Failures before the hour do not count: 1 of 2 in it is not above half.
        for status in ("failed", "goal_reached"):
            _run(session, tenant, half, status)
        _run(session, tenant, half, "failed", ended=AT - timedelta(minutes=61))
        # 31 s + 30.5 s of HTTP calls: 61.5 s of active time.
        _run(session, tenant, slow, "completed", steps=(("http_request", 31), ("slack", 30.5)))
        _run(session, tenant, slow, "completed")
        # Two days of waiting around 10 s of work is not slow.
        _run(session, tenant, patient, "completed",
             steps=(("send_email", 5), ("wait", 172_800), ("send_sms", 5)))  # fmt: skip
        for _ in range(3):
            _run(session, tenant, healthy, "completed")
        _run(session, tenant, healthy, "running", ended=AT + timedelta(minutes=5))
        # Relay's own runs are never alerted on.
        _run(session, SYSTEM_TENANT, "relay.alerts", "failed")
    return {"tenant": tenant, "failing": failing, "slow": slow}


def test_a_failing_and_a_slow_workflow_are_alerted_not_the_healthy_ones(
    engine: Engine, seeded: dict[str, Any]
) -> None:
    with session_scope(engine) as session:
        sent = raise_alerts(session, AT)
    tenant = seeded["tenant"]
    assert sorted((a.tenant_id, a.workflow_id, a.kind) for a in sent) == sorted(
        [(tenant, seeded["failing"], FAILING), (tenant, seeded["slow"], SLOW)]
    )
    failing = next(a for a in sent if a.kind == FAILING)
    assert (failing.runs, failing.count) == (4, 3)
    slow = next(a for a in sent if a.kind == SLOW)
    assert (slow.runs, slow.count, slow.seconds) == (2, 1, 61.5)

    with session_scope(engine) as session:
        inbox = list(session.exec(notifications_query(tenant, recipient="admins")))
    assert sorted((n.kind, n.message) for n in inbox) == [
        (FAILING, "Workflow 'Reminders': 3 of 4 runs failed in the last hour (75%)"),
        (SLOW, "Workflow 'Sync': 1 of 2 runs took more than 60 s of active time in the last "
         "hour (longest 61.5 s)"),
    ]  # fmt: skip
    by_kind = {n.kind: n for n in inbox}
    link = f"/v1/runs?workflow_id={seeded['failing']}&has_failed_steps=true"
    assert by_kind[FAILING].link == link
    assert (by_kind[SLOW].data or {})["workflow_id"] == seeded["slow"]


def test_runs_that_went_on_past_failed_steps_count_as_failures(engine: Engine) -> None:
    """``on_error: continue``: the runs ended ``completed``, but their only action failed."""
    at = AT + timedelta(days=30)
    with session_scope(engine) as session:
        tenant = create_tenant(session, "Acme")[0].id
        continuing = _workflow(session, tenant, "Best effort")
        for _ in range(2):
            _run(session, tenant, continuing, "completed", ended=at - timedelta(minutes=5),
                 step_status="failed")  # fmt: skip
        _run(session, tenant, continuing, "completed", ended=at - timedelta(minutes=5))
    with session_scope(engine) as session:
        sent = raise_alerts(session, at)
    assert [(a.workflow_id, a.kind, a.runs, a.count) for a in sent] == [(continuing, FAILING, 3, 2)]


def test_a_workflow_is_not_alerted_twice_within_the_hour(
    engine: Engine, seeded: dict[str, Any]
) -> None:
    with session_scope(engine) as session:
        assert len(raise_alerts(session, AT)) == 2
    for later in (timedelta(0), timedelta(minutes=5), timedelta(minutes=59)):
        with session_scope(engine) as session:
            assert raise_alerts(session, AT + later) == []
    with session_scope(engine) as session:
        inbox = list(session.exec(notifications_query(seeded["tenant"], recipient="admins")))
    assert len(inbox) == 2


def test_an_alert_is_claimed_again_an_hour_later(engine: Engine) -> None:
    alert = Alert(f"t_{uuid.uuid4().hex[:8]}", "wf_1", FAILING, 2, 2)
    with session_scope(engine) as session:
        assert claim(session, alert, AT) is True
        assert claim(session, alert, AT + timedelta(minutes=59, seconds=59)) is False
        assert claim(session, alert, AT + timedelta(hours=1)) is True
        assert claim(session, Alert(alert.tenant_id, "wf_1", SLOW, 1, 1), AT) is True
