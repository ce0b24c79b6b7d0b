"""``relay event send``: posts an event to a running API and prints the runs it started."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.deps import ApiDeps
from storage.db import session_scope
from storage.tenants import create_tenant
from tests.helpers.temporal import relay_worker
from worker.cli import main

WAITS = {
    "name": "Follow-up",
    "trigger": {"type": "event", "event": "booking.created", "entity": "{{ booking_id }}"},
    "steps": [{"id": "pause", "type": "wait", "duration": "P3D"}],
}


@dataclass
class Api:
    url: str
    key: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
async def api(dev_env: WorkflowEnvironment, engine: Engine) -> AsyncIterator[Api]:
    """The real API served over HTTP on a loopback port, with a worker behind it."""
    with session_scope(engine) as session:
        _, key = create_tenant(session, "Acme")
    async with relay_worker(dev_env.client, engine) as worker:

        async def connect() -> Client:
            return dev_env.client

        app = create_app(
            ApiDeps(engine=engine, connect_temporal=connect, task_queue=worker.task_queue)
        )
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
        serving = asyncio.create_task(server.serve())
        for _ in range(1000):  # uvicorn only offers a flag to poll
            if server.started:
                break
            await asyncio.sleep(0.01)
        url = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {key}"}) as c:
            created = (await c.post("/v1/workflows", json=WAITS)).json()
            assert (await c.post(f"/v1/workflows/{created['id']}/activate")).status_code == 200
        try:
            yield Api(url, key)
        finally:
            server.should_exit = True
            await serving


async def _relay(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    # The CLI is synchronous; the API it talks to runs on this test's event loop.
    status = await asyncio.to_thread(main, list(argv))
    out, err = capsys.readouterr()
    return status, out, err


async def test_send_prints_the_runs_started(
    api: Api, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RELAY_API_KEY", api.key)
    data = tmp_path / "booking.json"
    data.write_text(json.dumps({"booking_id": "bk_cli"}))
    argv = ["event", "send", "--type", "booking.created", "--data", f"@{data}", "--id", "evt-cli"]
    status, out, _ = await _relay(capsys, *argv, "--api-url", api.url)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "event evt-cli: 1 run(s)"
    assert lines[1].split()[0] == "started" and "workflow wf_" in lines[1]

    status, out, _ = await _relay(capsys, *argv, "--api-url", api.url)
    assert (status, out.splitlines()[1].split()[0]) == (0, "duplicate")


async def test_a_refused_event_exits_1_with_the_paths(
    api: Api, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAY_API_KEY", api.key)
    argv = ["event", "send", "--type", "booking.created", "--data", '{"invitee_email": 5}']
    status, out, err = await _relay(capsys, *argv, "--api-url", api.url)
    assert (status, out) == (1, "")
    assert "data.invitee_email: 5 is not of type" in err


async def test_the_dev_key_is_read_from_the_state_directory(
    api: Api, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("RELAY_API_KEY", raising=False)
    monkeypatch.setenv("RELAY_STATE_DIR", str(tmp_path))
    (tmp_path / "dev-api-key").write_text(api.key + "\n")
    status, out, _ = await _relay(capsys, "event", "send", "--type", "x.y", "--api-url", api.url)
    assert (status, out.split(":")[1]) == (0, " 0 run(s)\n")


async def test_without_a_key_or_a_reachable_api_it_says_why(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("RELAY_API_KEY", raising=False)
    monkeypatch.setenv("RELAY_STATE_DIR", str(tmp_path))
    status, _, err = await _relay(capsys, "event", "send", "--type", "x.y")
    assert status == 2 and "set RELAY_API_KEY" in err
    monkeypatch.setenv("RELAY_API_KEY", "k")
    url = f"http://127.0.0.1:{_free_port()}"
    status, _, err = await _relay(capsys, "event", "send", "--type", "x.y", "--api-url", url)
    assert status == 2 and "cannot reach the API" in err
    status, _, err = await _relay(capsys, "event", "send", "--type", "x.y", "--data", "[1]")
    assert status == 2 and "--data is a JSON object" in err
