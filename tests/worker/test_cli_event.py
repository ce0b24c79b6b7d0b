"""``relay event send``: posts an event to a running API and prints the runs it started."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers.serving import free_port
from tests.worker.conftest import Api, relay


async def test_send_prints_the_runs_started(
    api: Api, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("RELAY_API_KEY", api.key)
    data = tmp_path / "booking.json"
    data.write_text(json.dumps({"booking_id": "bk_cli"}))
    argv = ["event", "send", "--type", "booking.created", "--data", f"@{data}", "--id", "evt-cli"]
    status, out, _ = await relay(capsys, *argv, "--api-url", api.url)
    assert status == 0
    lines = out.splitlines()
    assert lines[0] == "event evt-cli: 1 run(s)"
    assert lines[1].split()[0] == "started" and "workflow wf_" in lines[1]

    status, out, _ = await relay(capsys, *argv, "--api-url", api.url)
    assert (status, out.splitlines()[1].split()[0]) == (0, "duplicate")


async def test_a_refused_event_exits_1_with_the_paths(
    api: Api, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RELAY_API_KEY", api.key)
    argv = ["event", "send", "--type", "booking.created", "--data", '{"invitee_email": 5}']
    status, out, err = await relay(capsys, *argv, "--api-url", api.url)
    assert (status, out) == (1, "")
    assert "data.invitee_email: 5 is not of type" in err


async def test_the_dev_key_is_read_from_the_state_directory(
    api: Api, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("RELAY_API_KEY", raising=False)
    monkeypatch.setenv("RELAY_STATE_DIR", str(tmp_path))
    (tmp_path / "dev-api-key").write_text(api.key + "\n")
    status, out, _ = await relay(capsys, "event", "send", "--type", "x.y", "--api-url", api.url)
    assert (status, out.split(":")[1]) == (0, " 0 run(s)\n")


async def test_without_a_key_or_a_reachable_api_it_says_why(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("RELAY_API_KEY", raising=False)
    monkeypatch.setenv("RELAY_STATE_DIR", str(tmp_path))
    status, _, err = await relay(capsys, "event", "send", "--type", "x.y")
    assert status == 2 and "set RELAY_API_KEY" in err
    monkeypatch.setenv("RELAY_API_KEY", "k")
    url = f"http://127.0.0.1:{free_port()}"
    status, _, err = await relay(capsys, "event", "send", "--type", "x.y", "--api-url", url)
    assert status == 2 and "cannot reach the API" in err
    status, _, err = await relay(capsys, "event", "send", "--type", "x.y", "--data", "[1]")
    assert status == 2 and "--data is a JSON object" in err
