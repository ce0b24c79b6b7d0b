"""``relay runs list`` and ``relay runs show``: a tenant's runs as tables, from the real API."""

from __future__ import annotations

import httpx
import pytest

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
    assert header.split() == ["RUN", "WORKFLOW", "VERSION", "STATUS", "STARTED", "DURATION",
                              "ENTITY"]  # fmt: skip
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


async def test_an_unknown_run_exits_1_with_the_apis_reason(
    api: Api,
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = await relay(capsys, "runs", "show", "run_nope", "--api-url", api.url)
    assert (status, out) == (1, "")
    assert "not found" in err.lower() and "run_nope" in err
