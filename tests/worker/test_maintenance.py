"""``relay worker`` schedules Relay's own maintenance on Temporal, and its runs complete.

On the dev server (schedules do not run on the time-skipping one), with a database of the
test's own: the alerts and retention runs look at every tenant's rows.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import pytest
from temporalio.client import (
    Client,
    ScheduleActionExecutionStartWorkflow,
    ScheduleHandle,
    ScheduleRange,
)
from temporalio.testing import WorkflowEnvironment

from storage.alerts import SYSTEM_TENANT
from storage.db import make_engine
from tests.helpers.db import run_row, steps_of
from tests.helpers.polling import eventually
from tests.helpers.temporal import relay_worker_process
from worker.maintenance import ensure_system_schedules
from worker.settings import Settings

ALERTS = f"relay:{SYSTEM_TENANT}:relay.alerts"
RETENTION = f"relay:{SYSTEM_TENANT}:relay.retention"

T = TypeVar("T")


@pytest.fixture
async def worker(dev_env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[Settings]:
    """``relay worker`` (its ``run_worker``) on a fresh task queue and database."""
    try:
        async with relay_worker_process(dev_env.client, tmp_path) as settings:
            yield settings
    finally:
        for schedule_id in (ALERTS, RETENTION):
            await dev_env.client.get_schedule_handle(schedule_id).delete()


async def _run_now(client: Client, handle: ScheduleHandle) -> dict[str, Any]:
    """Trigger the schedule and wait for the run it starts: its result."""
    before = len((await handle.describe()).info.recent_actions)
    await handle.trigger()

    async def started() -> str | None:
        actions = (await handle.describe()).info.recent_actions
        if len(actions) <= before:
            return None
        action = actions[-1].action
        assert isinstance(action, ScheduleActionExecutionStartWorkflow)
        return action.workflow_id

    run_id = await eventually(started, timeout=30)
    result: dict[str, Any] = await client.get_workflow_handle(run_id).result()
    result["run_id"] = run_id
    return result


async def test_the_worker_creates_the_schedules_and_their_runs_complete(
    dev_env: WorkflowEnvironment, worker: Settings
) -> None:
    client = dev_env.client
    alerts = client.get_schedule_handle(ALERTS)
    described = await eventually(alerts.describe, timeout=30)
    assert described.schedule.spec.intervals[0].every == timedelta(minutes=5)
    assert getattr(described.schedule.action, "task_queue", None) == worker.task_queue
    retention = await client.get_schedule_handle(RETENTION).describe()
    daily = retention.schedule.spec.calendars  # Temporal keeps a cron as a calendar
    assert [(c.hour, c.minute) for c in daily] == [((ScheduleRange(3),), (ScheduleRange(17),))]

    engine = make_engine(worker.database_url)
    result = await _run_now(client, alerts)
    assert result["status"] == "completed"
    row = run_row(engine, result["run_id"])
    assert row is not None and (row.tenant_id, row.workflow_id) == (SYSTEM_TENANT, "relay.alerts")
    check = steps_of(engine, result["run_id"])["check"]
    assert check.status == "completed" and check.output["alerts"] == []

    result = await _run_now(client, client.get_schedule_handle(RETENTION))
    assert result["status"] == "completed"
    clean = steps_of(engine, result["run_id"])["clean"]
    row = run_row(engine, result["run_id"])
    assert row is not None and row.trigger is not None
    # RELAY_RETENTION_DAYS (90 by default) back from the run's scheduled time.
    scheduled = datetime.fromisoformat(row.trigger["scheduled_at"])
    assert clean.status == "completed"
    assert datetime.fromisoformat(clean.output["cutoff"]) == scheduled - timedelta(days=90)
    engine.dispose()


async def test_starting_again_keeps_an_operators_pause(
    dev_env: WorkflowEnvironment, worker: Settings
) -> None:
    client = dev_env.client
    alerts = client.get_schedule_handle(ALERTS)
    await eventually(alerts.describe, timeout=30)
    await alerts.pause(note="paused by an operator")

    engine = make_engine(worker.database_url)
    ids = await ensure_system_schedules(client, engine, worker.task_queue)

    assert ids == [ALERTS, RETENTION]
    state = (await alerts.describe()).schedule.state
    assert (state.paused, state.note) == (True, "paused by an operator")
    assert not (await client.get_schedule_handle(RETENTION).describe()).schedule.state.paused
    engine.dispose()
