"""Schedule triggers end to end on the dev server: a workflow's Temporal Schedule follows its
lifecycle, and its runs appear in the API like any other."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from temporalio.client import Client, ScheduleHandle
from temporalio.service import RPCError, RPCStatusCode
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.deps import ApiDeps
from tests.api.conftest import Stack, api_client, finished, new_tenant, problem
from tests.helpers.polling import eventually
from workflows import search_attributes as sa
from workflows.policies import WORKFLOW_TASK_TIMEOUT

TEMPORAL_CLI = Path(sys.executable).parent / "temporal"


def weekly_report(**trigger: Any) -> dict[str, Any]:
    return {
        "name": "Weekly report",
        "trigger": {"type": "schedule", "every": "PT1H", **trigger},
        "steps": [
            {"id": "report", "type": "send_email", "to": "team@example.com",
             "subject": "Report", "body": "Due at {{ scheduled_at }}"},
        ],
    }  # fmt: skip


def schedule_of(stack: Stack, workflow: dict[str, Any]) -> ScheduleHandle:
    return stack.client.get_schedule_handle(f"relay:{stack.tenant_id}:{workflow['id']}")


async def listed(client: Client, schedule_id: str) -> bool:
    return schedule_id in [s.id async for s in await client.list_schedules()]


async def test_an_activated_schedule_is_listed_and_its_runs_carry_the_scheduled_time(
    stack: Stack,
) -> None:
    workflow = await stack.create_active(weekly_report(timezone="Europe/Berlin"))
    handle = schedule_of(stack, workflow)
    description = await handle.describe()
    assert description.schedule.spec.intervals[0].every == timedelta(hours=1)
    assert description.schedule.spec.time_zone_name == "Europe/Berlin"
    assert not description.schedule.state.paused
    await eventually(lambda: listed(stack.client, handle.id))
    # As `temporal schedule list` shows it, for operators.
    address = stack.client.service_client.config.target_host
    cli = await asyncio.create_subprocess_exec(
        str(TEMPORAL_CLI), "schedule", "list", "--address", address, "-o", "json",
        stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(cli.communicate(), timeout=30)
    assert handle.id in [s["scheduleId"] for s in json.loads(output)]

    await handle.trigger()  # due now rather than in an hour
    runs: list[dict[str, Any]] = []

    async def ran() -> bool:
        nonlocal runs
        page = await stack.api.get("/v1/runs", params={"workflow_id": workflow["id"]})
        runs = page.json()["items"]
        return bool(runs) and finished(runs[0])

    await eventually(ran)
    (run,) = runs
    assert run["status"] == "completed"
    assert run["version"] == 1
    assert run["trigger"]["type"] == "schedule"
    scheduled_at = run["trigger"]["scheduled_at"]
    assert scheduled_at.endswith("Z")
    (message,) = stack.smtp.messages
    assert f"Due at {scheduled_at}" in message.message.get_content()
    # Findable in the Temporal UI by the same attributes as every run.
    execution = await stack.client.get_workflow_handle(run["id"]).describe()
    assert execution.typed_search_attributes.get(sa.WORKFLOW) == workflow["id"]
    # Its workflow tasks time out as every run's (a worker dying mid-action is noticed sooner).
    action = description.schedule.action
    assert action.task_timeout == WORKFLOW_TASK_TIMEOUT  # type: ignore[attr-defined]


async def test_the_schedule_pauses_updates_and_goes_with_the_workflow(stack: Stack) -> None:
    workflow = await stack.create_active(weekly_report())
    handle = schedule_of(stack, workflow)
    assert (await stack.api.post(f"/v1/workflows/{workflow['id']}/pause")).status_code == 200
    assert (await handle.describe()).schedule.state.paused

    # A new version while paused waits for activation; activation brings it in, running.
    changed = await stack.api.put(
        f"/v1/workflows/{workflow['id']}", json=weekly_report(every="P1D")
    )
    assert changed.status_code == 200, changed.text
    assert (await handle.describe()).schedule.spec.intervals[0].every == timedelta(hours=1)
    assert (await stack.api.post(f"/v1/workflows/{workflow['id']}/activate")).status_code == 200
    description = await handle.describe()
    assert description.schedule.spec.intervals[0].every == timedelta(days=1)
    assert not description.schedule.state.paused

    # A new version of an active workflow updates it at once: cron, overlap policy.
    cron = weekly_report(cron="0 9 * * MON", every=None, overlap="buffer_one")
    assert (await stack.api.put(f"/v1/workflows/{workflow['id']}", json=cron)).status_code == 200
    description = await handle.describe()
    assert description.schedule.spec.intervals == []
    assert len(description.schedule.spec.calendars) == 1  # the server compiles the cron
    assert description.schedule.policy.overlap.name == "BUFFER_ONE"

    assert (await stack.api.post(f"/v1/workflows/{workflow['id']}/archive")).status_code == 200
    with pytest.raises(RPCError) as gone:
        await handle.describe()
    assert gone.value.status == RPCStatusCode.NOT_FOUND

    async def unlisted() -> bool:
        return not await listed(stack.client, handle.id)

    await eventually(unlisted)


async def test_switching_to_another_trigger_or_deleting_removes_the_schedule(
    stack: Stack,
) -> None:
    first = await stack.create_active(weekly_report())
    event = {**weekly_report(), "trigger": {"type": "event", "event": "report.requested"}}
    assert (await stack.api.put(f"/v1/workflows/{first['id']}", json=event)).status_code == 200
    with pytest.raises(RPCError):
        await schedule_of(stack, first).describe()

    second = await stack.create_active(weekly_report())
    assert (await stack.api.delete(f"/v1/workflows/{second['id']}")).status_code == 200
    with pytest.raises(RPCError):
        await schedule_of(stack, second).describe()


async def test_invalid_schedules_are_refused_with_their_path(stack: Stack) -> None:
    response = await stack.api.post(
        "/v1/workflows", json=weekly_report(every=None, cron="0 9 * * FUNDAY")
    )
    body = problem(response, 422)
    assert [e["path"] for e in body["errors"]] == ["trigger.cron"]
    zone = await stack.api.post("/v1/workflows", json=weekly_report(timezone="Berlin/Mitte"))
    assert [e["path"] for e in problem(zone, 422)["errors"]] == ["trigger.timezone"]


async def test_without_temporal_activation_is_503_and_changes_nothing(
    stack: Stack, dev_env: WorkflowEnvironment
) -> None:
    async def unreachable() -> Client:
        raise ConnectionRefusedError("no Temporal here")

    _, key = new_tenant(stack.engine, "Offline Schedules")
    app = create_app(ApiDeps(engine=stack.engine, connect_temporal=unreachable, task_queue="q"))
    async with api_client(app, key) as api:
        workflow = (await api.post("/v1/workflows", json=weekly_report())).json()
        problem(await api.post(f"/v1/workflows/{workflow['id']}/activate"), 503)
        assert (await api.get(f"/v1/workflows/{workflow['id']}")).json()["status"] == "draft"
        # An event-triggered workflow's lifecycle needs no Temporal.
        other = {**weekly_report(), "trigger": "report.requested"}
        plain = (await api.post("/v1/workflows", json=other)).json()
        assert (await api.post(f"/v1/workflows/{plain['id']}/activate")).status_code == 200
