"""``relay dev`` as a new user runs it: the stack comes up, answers, and stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.helpers.peers import unused_port
from worker.dev import temporal_environment


def _start(state: Path, api_port: int, temporal_port: int, ui_port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "RELAY_STATE_DIR": str(state),
        "RELAY_DATABASE_URL": f"sqlite:///{state}/relay.db",
        "RELAY_API_PORT": str(api_port),
        "RELAY_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "RELAY_TEMPORAL_UI_PORT": str(ui_port),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "worker.cli", "dev"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def _ready(api: str, process: subprocess.Popen[str], timeout: float = 60) -> bool:
    """Whether the stack answers ``/readyz`` within ``timeout``; False at once if it exited."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{api}/readyz", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    return False


def _start_ready(state: Path) -> tuple[subprocess.Popen[str], str, int]:
    """``relay dev`` started and ready: its process, the API's URL and the Temporal UI's port.

    The test picks free ports, but the dev server picks more of its own at random (its HTTP
    API, metrics, internal services) and may take one of ours before the UI binds it (seen in
    CI: "bind: address already in use", the server exits). Then it starts again on others."""
    log = state / "temporal.log"
    for _ in range(3):
        api_port, temporal_port, ui_port = unused_port(), unused_port(), unused_port()
        logged = log.stat().st_size if log.exists() else 0
        process = _start(state, api_port, temporal_port, ui_port)
        api = f"http://127.0.0.1:{api_port}"
        if _ready(api, process):
            return process, api, ui_port
        output = _stop(process)
        if log.exists():
            with log.open(errors="replace") as temporal:
                temporal.seek(logged)
                output += temporal.read()
        if "address already in use" not in output:
            raise AssertionError(f"the dev stack never became ready:\n{output}")
    raise AssertionError("the dev stack met a port taken three times")


def _stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    output, _ = process.communicate(timeout=30)
    return output


def _leftovers(session: int, state: Path) -> list[str]:
    """Processes of the dev session (worker, API) or using its state (the Temporal server)."""
    ps = subprocess.run(["ps", "-eo", "sid=,args="], capture_output=True, text=True, check=True)
    return [
        line
        for line in ps.stdout.splitlines()
        if line.split(None, 1)[0] == str(session) or str(state) in line
    ]


def test_dev_stack_runs_an_event_to_a_delivery_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    process, api, ui_port = _start_ready(tmp_path)
    try:
        key = (tmp_path / "dev-api-key").read_text().strip()
        headers = {"Authorization": f"Bearer {key}"}
        assert httpx.get(f"http://127.0.0.1:{ui_port}/", timeout=5).status_code == 200
        created = httpx.post(
            f"{api}/v1/workflows",
            headers=headers,
            json={
                "name": "Hello",
                "trigger": {"type": "event", "event": "contact.created"},
                "steps": [
                    {
                        "id": "hi",
                        "type": "send_email",
                        "to": "{{ email }}",
                        "subject": "Hi",
                        "body": "Hello",
                    },
                    {"id": "later", "type": "wait", "duration": "7d"},
                ],
            },
        ).json()
        httpx.post(
            f"{api}/v1/workflows/{created['id']}/activate", headers=headers
        ).raise_for_status()
        accepted = httpx.post(
            f"{api}/v1/events",
            headers=headers,
            json={"type": "contact.created", "data": {"email": "a@b.co"}},
        ).json()
        run_id = accepted["runs"][0]["id"]
        for _ in range(100):
            run = httpx.get(f"{api}/v1/runs/{run_id}", headers=headers).json()
            if run["status"] == "waiting":
                break
            time.sleep(0.1)
        assert [(s["node_id"], s["status"]) for s in run["steps"]] == [
            ("hi", "completed"),
            ("later", "waiting"),
        ]
    finally:
        output = _stop(process)
    assert "Dev API key" in output and key in output
    assert process.returncode == 0
    assert _leftovers(process.pid, tmp_path) == []

    # A second start reuses the state: same key, the waiting run is still there and waiting.
    process, api, _ = _start_ready(tmp_path)
    try:
        assert (tmp_path / "dev-api-key").read_text().strip() == key
        run = httpx.get(f"{api}/v1/runs/{run_id}", headers=headers).json()
        assert run["status"] == "waiting"
    finally:
        _stop(process)


def test_the_dev_server_schedules_on_half_the_cores_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GOMAXPROCS", raising=False)
    for cores, threads in ((8, "4"), (2, "1"), (1, "1")):
        monkeypatch.setattr(os, "cpu_count", lambda cores=cores: cores)
        assert temporal_environment()["GOMAXPROCS"] == threads
    monkeypatch.setenv("GOMAXPROCS", "3")
    assert temporal_environment()["GOMAXPROCS"] == "3"
