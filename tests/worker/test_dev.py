"""``relay dev`` as a new user runs it: the stack comes up, answers, and stops on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.helpers.peers import unused_port


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


def _wait_ready(api: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{api}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError("the dev stack never became ready")


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
    api_port, temporal_port, ui_port = unused_port(), unused_port(), unused_port()
    api = f"http://127.0.0.1:{api_port}"
    process = _start(tmp_path, api_port, temporal_port, ui_port)
    try:
        _wait_ready(api)
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
    process = _start(tmp_path, api_port, temporal_port, ui_port)
    try:
        _wait_ready(api)
        assert (tmp_path / "dev-api-key").read_text().strip() == key
        run = httpx.get(f"{api}/v1/runs/{run_id}", headers=headers).json()
        assert run["status"] == "waiting"
    finally:
        _stop(process)
