"""``relay runs list`` and ``relay runs show``: a tenant's runs as tables, from the real API."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.helpers.serving import free_port
from tests.worker.conftest import Api, relay


async def _started_run(served: Api, booking: str) -> str:
    async with httpx.AsyncClient(
        base_url=served.url, headers={"Authorization": f"Bearer {served.key}"}
    ) as client:
        event = {"type": "booking.created", "data": {"booking_id": booking}}
        accepted = (await client.post("/v1/events", json=event)).json()
        run_id: str = accepted["runs"][0]["id"]
        for _ in range(100):  # the run records its waiting step within moments
            if (await client.get(f"/v1/runs/{run_id}")).json()["steps"]:
                break
    return run_id


@pytest.fixture(autouse=True)
def _key(api: Api, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RELAY_API_KEY", api.key)


async def test_list_shows_the_tenants_runs_as_a_table(
    api: Api,
    capsys: pytest.CaptureFixture[str],
) -> None:
    first, second = await _started_run(api, "bk_1"), await _started_run(api, "bk_2")

    status, out, _ = await relay(capsys, "runs", "list", "--api-url", api.url)

    assert status == 0
    header, *rows = out.splitlines()
    assert header.split() == ["RUN", "WORKFLOW", "VERSION", "STATUS", "STEPS", "STARTED",
                              "DURATION", "ENTITY"]  # fmt: skip
    # Newest first, each column starting where its header does.
    assert [row.split()[0] for row in rows] == [second, first]
    entity = header.index("ENTITY")
    assert [row[entity:] for row in rows] == ["bk_2", "bk_1"]
    assert rows[0].split()[2:4] == ["v1", "waiting"]

    status, out, _ = await relay(capsys, "runs", "list", "--limit", "1", "--api-url", api.url)
    assert (status, out.splitlines()[1].split()[0]) == (0, second)
    assert out.splitlines()[-1] == "(newest 1 shown; --limit shows more)"


async def test_list_filters_by_workflow_and_status(
    api: Api,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_id = await _started_run(api, "bk_3")
    status, out, _ = await relay(capsys, "runs", "show", run_id, "--api-url", api.url)
    workflow = out.splitlines()[1].split()[1]

    argv = ["runs", "list", "--workflow", workflow, "--status", "waiting", "--api-url", api.url]
    status, out, _ = await relay(capsys, *argv)
    assert status == 0 and run_id in out
    argv = ["runs", "list", "--status", "completed", "--api-url", api.url]
    assert await relay(capsys, *argv) == (0, "no runs\n", "")
    argv = ["runs", "list", "--status", "done", "--api-url", api.url]
    status, out, err = await relay(capsys, *argv)
    assert (status, out) == (1, "") and "status" in err


async def test_show_prints_the_run_and_its_steps(
    api: Api,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_id = await _started_run(api, "bk_4")

    status, out, _ = await relay(capsys, "runs", "show", run_id, "--api-url", api.url)

    assert status == 0
    lines = out.splitlines()
    facts = dict(line.split(None, 1) for line in lines[: lines.index("")])
    assert facts["run"] == run_id
    assert facts["workflow"].endswith(" v1") and facts["status"] == "waiting"
    assert facts["entity"] == "bk_4" and facts["trigger"].startswith("booking.created evt_")
    steps = lines[lines.index("") + 1 :]
    assert steps[0].split() == ["STEP", "TYPE", "STATUS", "ATTEMPTS", "STARTED", "DURATION",
                                "OUTPUT", "/", "ERROR"]  # fmt: skip
    assert steps[1].split()[:3] == ["pause", "wait", "waiting"]


BEST_EFFORT = {
    "name": "Best effort",
    "trigger": {"type": "manual"},
    "steps": [
        {"id": "notify", "type": "http_request", "url": "http://127.0.0.1:{port}/hook",
         "retry": {"max_attempts": 1}},
        {"id": "note", "type": "set", "values": {"done": True}},
    ],
}  # fmt: skip


async def test_a_run_past_a_failed_step_shows_it_and_is_listed_by_failed_steps(
    api: Api,
    capsys: pytest.CaptureFixture[str],
) -> None:
    waiting = await _started_run(api, "bk_5")
    document = json.loads(json.dumps(BEST_EFFORT).replace("{port}", str(free_port())))
    async with httpx.AsyncClient(
        base_url=api.url, headers={"Authorization": f"Bearer {api.key}"}
    ) as client:
        workflow = (await client.post("/v1/workflows", json=document)).json()["id"]
        run_id = (await client.post(f"/v1/workflows/{workflow}/execute", json={})).json()["id"]
        for _ in range(200):
            run = (await client.get(f"/v1/runs/{run_id}")).json()
            if run["status"] == "completed":
                break
            await asyncio.sleep(0.1)
    assert (run["status"], run["steps_failed"], run["steps_completed"]) == ("completed", 1, 1)

    argv = ["runs", "list", "--failed-steps", "--api-url", api.url]
    status, out, _ = await relay(capsys, *argv)
    header, *rows = out.splitlines()
    assert status == 0 and [row.split()[0] for row in rows] == [run_id]
    status_at, steps_at, started_at = (header.index(h) for h in ("STATUS", "STEPS", "STARTED"))
    assert rows[0][status_at:steps_at].strip() == "completed"
    assert rows[0][steps_at:started_at].strip() == "1 FAILED, 1 ok"

    status, out, _ = await relay(capsys, "runs", "list", "--api-url", api.url)
    listed = {row.split()[0]: row for row in out.splitlines()[1:]}
    assert "FAILED" in listed[run_id] and "FAILED" not in listed[waiting]

    status, out, _ = await relay(capsys, "runs", "show", run_id, "--api-url", api.url)
    lines = out.splitlines()
    facts = dict(line.split(None, 1) for line in lines[: lines.index("")])
    assert (facts["status"], facts["steps"]) == ("completed", "1 FAILED, 1 completed")


async def test_an_unknown_run_exits_1_with_the_apis_reason(
    api: Api,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = await relay(capsys, "runs", "show", "run_nope", "--api-url", api.url)
    assert (status, out) == (1, "")
    assert "not found" in err.lower() and "run_nope" in err
