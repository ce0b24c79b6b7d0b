"""The maintenance activities: alerts with a log line, retention from the run's scheduled time.

Rows are dated in the past (1990, 1999) so that no other test's rows are in the hour checked.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.maintenance import AlertCheckInput, Maintenance, RetentionInput
from storage.db import session_scope
from storage.models import Run
from storage.tenants import create_tenant
from storage.workflows import create_workflow
from tests.helpers.db import run_row


def _ended_run(engine: Engine, tenant: str, workflow: str, status: str, ended: datetime) -> str:
    run_id = f"run_{uuid.uuid4().hex[:12]}"
    with session_scope(engine) as session:
        session.add(
            Run(
                id=run_id, tenant_id=tenant, workflow_id=workflow, version=1, status=status,
                started_at=ended - timedelta(seconds=5), completed_at=ended, entity="jane@example.com",
            )
        )  # fmt: skip
    return run_id


async def test_check_alerts_notifies_and_logs_without_the_tenants_data(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    at = datetime(1999, 9, 1, 12, 0, tzinfo=UTC)
    with session_scope(engine) as session:
        tenant = create_tenant(session, "Acme")[0].id
        workflow = create_workflow(session, tenant, {"name": "Jane's renewals", "nodes": []}, {}).id
    for _ in range(2):
        _ended_run(engine, tenant, workflow, "failed", at - timedelta(minutes=3))
    maintenance, env = Maintenance(engine), ActivityEnvironment()

    with caplog.at_level(logging.INFO, logger="relay.maintenance"):
        result = await env.run(maintenance.check_alerts, AlertCheckInput(at="1999-09-01T12:00:00Z"))

    assert result["at"] == "1999-09-01T12:00:00+00:00"
    mine = [alert for alert in result["alerts"] if alert["tenant_id"] == tenant]
    assert mine == [
        {"tenant_id": tenant, "workflow_id": workflow, "kind": "alert.failure_rate", "runs": 2,
         "count": 2, "seconds": None}
    ]  # fmt: skip
    lines = [r.getMessage() for r in caplog.records if workflow in r.getMessage()]
    assert lines == [
        f"alert alert.failure_rate: tenant {tenant} workflow {workflow}: 2 of 2 runs in the hour "
        "to 1999-09-01T12:00:00+00:00"
    ]
    assert "Jane" not in caplog.text and "jane@example.com" not in caplog.text

    again = await env.run(maintenance.check_alerts, AlertCheckInput(at="1999-09-01T12:05:00Z"))
    assert [alert for alert in again["alerts"] if alert["tenant_id"] == tenant] == []


async def test_apply_retention_counts_back_the_configured_days_from_at(engine: Engine) -> None:
    tenant = f"t_{uuid.uuid4().hex[:8]}"
    cutoff = datetime(1990, 1, 1, tzinfo=UTC)
    old = _ended_run(engine, tenant, "wf_1", "completed", cutoff - timedelta(seconds=1))
    recent = _ended_run(engine, tenant, "wf_1", "completed", cutoff + timedelta(seconds=1))

    result = await ActivityEnvironment().run(
        Maintenance(engine, retention_days=30).apply_retention,
        RetentionInput(at="1990-01-31T00:00:00+00:00"),
    )

    assert result["cutoff"] == "1990-01-01T00:00:00+00:00"
    assert result["deleted"]["runs"] >= 1 and result["batches"] >= 1
    assert run_row(engine, old) is None
    assert run_row(engine, recent) is not None


async def test_a_time_that_is_no_time_fails_for_good(engine: Engine) -> None:
    with pytest.raises(ApplicationError) as raised:
        await ActivityEnvironment().run(
            Maintenance(engine).apply_retention, RetentionInput(at="yesterday")
        )
    assert raised.value.non_retryable and raised.value.type == "invalid_input"
