"""Simulations: the real interpreter with time skipped and every side effect recorded."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from temporalio.client import Client
from temporalio.converter import DataConverter

from definitions.durations import parse_duration
from definitions.library import TEMPLATES
from definitions.loading import load_definition
from storage.models import Delivery, Run, RunStep
from storage.payload_codec import EncryptionCodec
from tests.helpers.peers import RecordingHttpServer, SmtpSink
from worker.cli import main
from worker.simulator import Simulator, timeline_text
from workflows.contract import LoadDefinitionInput
from workflows.simulation import simulation_request

LEAD = {"lead_id": "ld_1", "email": "ann@example.com", "name": "Ann", "phone": "+15550001111"}


def drip(count: int = 10, every: str = "3d") -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    for index in range(count):
        if index:
            steps.append({"id": f"wait{index}", "type": "wait", "duration": every})
        steps.append({"id": f"mail{index}", "type": "send_email", "to": "{{ email }}",
                      "subject": f"Day {index * 3}, {{{{ name }}}}", "body": "Hello {{ name }}"})  # fmt: skip
    return {"name": "Drip", "trigger": {"event": "lead.created", "entity": "{{ lead_id }}"},
            "steps": steps}  # fmt: skip


@pytest.fixture(scope="module")
async def simulator() -> AsyncIterator[Simulator]:
    # Refreshes would restart the server between tests for nothing: the clock is not asserted.
    simulator = Simulator(max_drift=timedelta(days=100_000), refresh_early=False)
    yield simulator
    await simulator.close()


async def simulate(simulator: Simulator, document: dict[str, Any], event: Any = None, events: Any = None,
                   **options: Any) -> dict[str, Any]:  # fmt: skip
    return await simulator.simulate(
        simulation_request(load_definition(document), event, events, **options)
    )


async def test_a_30_day_10_step_drip_simulates_in_skipped_time(simulator: Simulator) -> None:
    """30 simulated days pass in seconds of wall time (how fast: ``benchmarks.simulation``)."""
    await simulate(simulator, drip(2), {"data": LEAD})  # the server is up
    report = await simulate(simulator, drip(11), {"data": LEAD})
    assert report["wall_seconds"] < 60
    assert report["status"] == "completed"
    assert about(report["duration"], "P30D")
    mails = [s for s in report["steps"] if s["type"] == "send_email"]
    assert [s["node_id"] for s in mails][:3] == ["mail0", "mail1", "mail2"]
    assert all(map(about, [s["at"] for s in mails][:3], ["PT0S", "P3D", "P6D"]))
    assert mails[1]["content"] == {
        "to": ["ann@example.com"], "cc": [], "bcc": [], "from": None,
        "subject": "Day 3, Ann", "text": "Hello Ann", "html": None,
        "message_id": mails[1]["content"]["message_id"],
    }  # fmt: skip
    waits = [s for s in report["steps"] if s["type"] == "wait"]
    assert (waits[0]["at"], waits[0]["status"]) == ("PT0S", "completed")
    assert about(waits[0]["ended"], "P3D")


def about(offset: str, expected: str) -> bool:
    """Simulated offsets within a minute of ``expected``: the test server's clock also runs
    while a loaded machine processes each step, adding a second here and there to 30 days."""
    return abs(parse_duration(offset) - parse_duration(expected)) < timedelta(minutes=1)


FUNNEL = {
    "name": "Funnel",
    "trigger": {"event": "lead.created", "entity": "{{ lead_id }}"},
    "nodes": [
        {"id": "welcome", "type": "send_email", "to": "{{ email }}", "subject": "Hi {{ name }}", "body": "Welcome"},
        {"id": "ab", "type": "split", "variants": [{"name": "A", "weight": 50}, {"name": "B", "weight": 50}]},
        {"id": "reply", "type": "wait_for_event", "event": "lead.replied", "timeout": "2d"},
        {"id": "interested", "type": "condition",
         "condition": {"field": "steps.reply.output.data.interested", "operator": "eq", "value": True}},
        {"id": "pitch", "type": "send_email", "to": "{{ email }}", "subject": "Offer for {{ name }}", "body": "Buy"},
        {"id": "text", "type": "send_sms", "to": "{{ phone }}", "body": "Still there, {{ name }}?"},
        {"id": "settle", "type": "wait", "duration": "10d"},
        {"id": "bye", "type": "send_email", "to": "{{ email }}", "subject": "Bye", "body": "Bye"},
        {"id": "customer", "type": "goal", "condition": {"field": "plan", "operator": "eq", "value": "paid"}},
    ],
    "edges": [
        {"from": "trigger", "to": "welcome"}, {"from": "welcome", "to": "ab"},
        {"from": "ab", "to": "reply", "when": "A"}, {"from": "ab", "to": "text", "when": "B"},
        {"from": "reply", "to": "interested", "when": "received"},
        {"from": "reply", "to": "text", "when": "timeout"},
        {"from": "interested", "to": "pitch", "when": "true"},
        {"from": "interested", "to": "text", "when": "false"},
        {"from": "pitch", "to": "settle"}, {"from": "text", "to": "settle"},
        {"from": "settle", "to": "bye"},
    ],
}  # fmt: skip


async def test_waits_branches_a_split_and_a_goal_step_by_step(simulator: Simulator) -> None:
    events = [
        {"at": "P1D", "type": "lead.replied", "data": {"interested": True}},
        {"at": "P5D", "type": "lead.updated", "data": {"plan": "paid"}},
    ]
    report = await simulate(simulator, FUNNEL, {"data": LEAD}, events)
    assert report["status"] == "goal_reached"
    assert report["goal"] == "customer"
    assert report["variant"] in ("A", "B")
    timeline = [(s["node_id"], s["status"], s["at"]) for s in report["steps"]]
    if report["variant"] == "A":
        assert report["path"] == [
            "welcome",
            "ab",
            "reply",
            "interested",
            "pitch",
            "settle",
            "customer",
        ]
        assert timeline == [
            ("welcome", "completed", "PT0S"), ("ab", "completed", "PT0S"),
            ("reply", "completed", "PT0S"), ("interested", "completed", "P1D"),
            ("pitch", "completed", "P1D"), ("settle", "cancelled", "P1D"),
            ("customer", "completed", "P5D"),
        ]  # fmt: skip
        assert report["steps"][1]["output"] == {"variant": "A"}
        assert report["steps"][2]["ended"] == "P1D"
    else:
        assert report["path"] == ["welcome", "ab", "text", "settle", "customer"]
        sms = next(s for s in report["steps"] if s["node_id"] == "text")
        assert sms["content"] == {"to": "+15550001111", "body": "Still there, Ann?"}
    assert [(e["type"], e["at"]) for e in report["events"]] == [
        ("lead.replied", "P1D"),
        ("lead.updated", "P5D"),
    ]
    assert "bye" not in report["path"]


async def test_without_the_awaited_event_the_wait_times_out(simulator: Simulator) -> None:
    document = {**FUNNEL, "nodes": FUNNEL["nodes"][:-1]}
    document["nodes"][1] = {**document["nodes"][1], "variants": [{"name": "A", "weight": 1}]}
    document["edges"] = [e for e in FUNNEL["edges"] if e.get("when") != "B"]
    report = await simulate(simulator, document, {"data": LEAD})
    assert report["path"] == ["welcome", "ab", "reply", "text", "settle", "bye"]
    assert [(s["node_id"], s["at"]) for s in report["steps"]][-3:] == [
        ("text", "P2D"),
        ("settle", "P2D"),
        ("bye", "P12D"),
    ]
    assert report["status"] == "completed"


async def test_a_run_still_waiting_after_a_year_is_reported_waiting(simulator: Simulator) -> None:
    document = {"name": "Forever", "trigger": {"event": "lead.created", "entity": "{{ lead_id }}"},
                "steps": [{"id": "reply", "type": "wait_for_event", "event": "lead.replied"}]}  # fmt: skip
    report = await simulate(simulator, document, {"data": LEAD})
    assert report["status"] == "waiting"
    assert [(s["node_id"], s["status"]) for s in report["steps"]] == [("reply", "waiting")]


async def test_nothing_is_sent_or_written_and_secrets_stay_placeholders(
    simulator: Simulator, engine: Engine
) -> None:
    with SmtpSink() as smtp, RecordingHttpServer() as peer:
        document = {
            "name": "Quiet",
            "steps": [
                {"id": "mail", "type": "send_email", "to": "{{ email }}", "subject": "s", "body": "b"},
                {"id": "call", "type": "http_request", "url": peer.url("/hook"), "method": "post",
                 "headers": {"Authorization": "Bearer {{ secrets.API_KEY }}"},
                 "body": {"name": "{{ name }}"}},
            ],
        }  # fmt: skip
        report = await simulate(simulator, document, {"data": LEAD}, workflow_id="wf_quiet")
    assert smtp.messages == []
    assert peer.requests == []
    call = report["steps"][1]
    assert call["content"]["headers"]["Authorization"] == "Bearer {{ secrets.API_KEY }}"
    assert call["content"]["url"] == peer.url("/hook")
    assert (call["content"]["method"], call["content"]["body"]) == ("POST", {"name": "Ann"})
    assert call["output"]["status"] == 200
    with Session(engine) as session:  # simulated runs' ids start with "sim_"
        assert session.exec(select(Run).where(Run.workflow_id == "wf_quiet")).all() == []
        assert session.exec(select(RunStep).where(RunStep.run_id.like("sim_%"))).all() == []  # type: ignore[attr-defined]
        assert session.exec(select(Delivery).where(Delivery.run_id.like("sim_%"))).all() == []  # type: ignore[attr-defined]


async def test_mocked_outputs_steer_the_branches_that_read_them(simulator: Simulator) -> None:
    document = {
        "name": "Mocked",
        "steps": [
            {"id": "call", "type": "http_request", "url": "https://api.example.com/x"},
            {"id": "ok", "type": "condition",
             "condition": {"field": "steps.call.output.status", "operator": "lt", "value": 400},
             "then": [{"id": "fine", "type": "stop"}], "else": [{"id": "alert", "type": "stop", "status": "failed"}]},
        ],
    }  # fmt: skip
    report = await simulate(simulator, document, {"data": {}}, outputs={"call": {"status": 503}})
    assert (report["path"][-1], report["status"]) == ("alert", "failed")


CHARGE = {
    "name": "Charge",
    "steps": [
        {"id": "charge", "type": "activity", "name": "charge_card", "task_queue": "payments",
         "input": {"customer": "{{ lead_id }}", "amount": 42}, "timeout": "30s"},
        {"id": "paid", "type": "condition",
         "condition": {"field": "steps.charge.output.status", "operator": "eq", "value": "succeeded"},
         "then": [{"id": "receipt", "type": "send_email", "to": "{{ email }}", "subject": "Paid",
                   "body": "{{ steps.charge.output.charge_id }}"}],
         "else": [{"id": "sorry", "type": "stop", "status": "failed"}]},
    ],
}  # fmt: skip


async def test_a_custom_activity_on_its_own_task_queue_is_recorded_and_the_run_goes_on(
    simulator: Simulator,
) -> None:
    mocked = {"charge": {"status": "succeeded", "charge_id": "ch_1"}}
    report = await simulate(simulator, CHARGE, {"data": LEAD}, outputs=mocked)
    assert (report["status"], report["path"]) == ("completed", ["charge", "paid", "receipt"])
    charge = report["steps"][0]
    assert charge["content"] == {
        "activity": "charge_card",
        "input": {"customer": "ld_1", "amount": 42},
    }
    assert (charge["status"], charge["output"]) == ("completed", mocked["charge"])
    assert report["steps"][-1]["content"]["text"] == "ch_1"
    # Without a mock, the recorder's default output: the queue's worker is reused.
    report = await simulate(simulator, CHARGE, {"data": LEAD})
    assert report["steps"][0]["output"] == {"simulated": True}
    assert (report["status"], report["path"][-1]) == ("failed", "sorry")


async def test_a_sub_workflows_custom_activity_queue_is_served_too() -> None:
    child = load_definition({"name": "Child", "steps": [
        {"id": "sync", "type": "activity", "name": "sync_crm", "task_queue": "crm",
         "input": {"id": "{{ lead_id }}"}},
    ]}).canonical()  # fmt: skip

    async def lookup(input: LoadDefinitionInput) -> dict[str, Any]:
        return {"workflow_id": input.workflow_id, "name": "Child", "version": 1,
                "definition": child}  # fmt: skip

    parent = {"name": "Parent", "steps": [
        {"id": "sub", "type": "sub_workflow", "workflow_id": "wf_child",
         "input": {"lead_id": "{{ lead_id }}"}},
    ]}  # fmt: skip
    simulator = Simulator(load_definition=lookup, refresh_early=False)
    try:
        report = await simulate(simulator, parent, {"data": LEAD})
    finally:
        await simulator.close()
    assert report["status"] == "completed"
    sync = next(s for s in report["steps"] if s["node_id"] == "sync")
    assert sync["step_key"] == "sub/sync"
    assert sync["content"] == {"activity": "sync_crm", "input": {"id": "ld_1"}}


async def test_sample_data_stands_in_for_a_missing_event(simulator: Simulator) -> None:
    document = {**drip(1), "trigger": {"event": "lead.created", "sample": LEAD}}
    report = await simulate(simulator, document)
    assert report["sample_data"] is True
    assert report["steps"][0]["content"]["to"] == ["ann@example.com"]
    assert "Drip" not in timeline_text(report) and "path: mail0" in timeline_text(report)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.id)
async def test_every_built_in_template_simulates_cleanly(simulator: Simulator, template) -> None:
    report = await simulate(simulator, template.document(), {"data": template.sample_data})
    assert report["status"] in ("completed", "goal_reached", "skipped"), report
    assert [s for s in report["steps"] if s["status"] == "failed"] == []
    assert report["path"]


async def test_an_idle_simulator_whose_clock_drifted_starts_afresh() -> None:
    simulator = Simulator(max_drift=timedelta(hours=1), refresh_early=False)
    try:
        await simulate(simulator, drip(2, "30d"), {"data": LEAD})
        report = await simulate(simulator, drip(1), {"data": LEAD})
    finally:
        await simulator.close()
    started = datetime.fromisoformat(report["started_at"])
    assert abs(started - datetime.now(UTC)) < timedelta(minutes=5)


def test_relay_simulate_prints_the_timeline(tmp_path, capsys) -> None:
    workflow, event = tmp_path / "drip.json", tmp_path / "event.yaml"
    workflow.write_text(json.dumps(drip(2)), encoding="utf-8")
    event.write_text("data:\n  email: ann@example.com\n  name: Ann\n", encoding="utf-8")
    assert main(["simulate", str(workflow), "--event", str(event)]) == 0
    out = capsys.readouterr().out
    assert "        PT0S  mail0" in out and "to ann@example.com: 'Day 0, Ann'" in out
    assert "         P3D  mail1" in out
    assert out.strip().endswith("outcome: completed")
    assert main(["simulate", str(workflow), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["sample_data"] is True


async def test_a_simulation_seals_what_it_hands_its_test_server() -> None:
    codec = EncryptionCodec(EncryptionCodec.generate_key())
    simulator = Simulator(refresh_early=False, codec=codec)
    try:
        request = simulation_request(load_definition(drip(2)), {"data": LEAD})
        report = await simulator.simulate(request, run_id="sim_sealed")
        assert report["status"] == "completed"
        assert report["steps"][0]["content"]["to"] == [LEAD["email"]]  # the report reads clear
        env = simulator._env  # the simulator's own test server, read without the codec
        assert env is not None
        raw = Client(**{**env.client.config(), "data_converter": DataConverter.default})
        for workflow_id in ("sim_sealed", "sim_sealed-driver"):
            history = await raw.get_workflow_handle(workflow_id).fetch_history()
            stored = b"".join(event.SerializeToString() for event in history.events)
            assert b"binary/encrypted" in stored
            for value in (LEAD["email"], LEAD["name"], LEAD["phone"]):
                assert value.encode() not in stored, (workflow_id, value)
    finally:
        await simulator.close()


async def test_a_mocked_failure_takes_the_error_branch(
    simulator: Simulator,
) -> None:
    document = {
        "name": "Failing",
        "trigger": {"event": "lead.created"},
        "nodes": [
            {"id": "call", "type": "http_request", "url": "https://crm.example/{{ lead_id }}",
             "retry": {"max_attempts": 5}},
            {"id": "alert", "type": "send_email", "to": "ops@example.com", "subject": "CRM down",
             "body": "{{ steps.call.error.message }}"},
            {"id": "done", "type": "stop"},
        ],
        "edges": [{"from": "trigger", "to": "call"}, {"from": "call", "to": "done"},
                  {"from": "call", "to": "alert", "when": "error"}],
    }  # fmt: skip
    failures = {"call": "connection refused"}
    report = await simulate(simulator, document, {"data": LEAD}, failures=failures)
    assert report["path"] == ["call", "alert"]
    call = report["steps"][0]
    assert (call["status"], call["error"]["type"]) == ("failed", "simulated_failure")
    assert "connection refused" in call["error"]["message"]
    assert call["content"]["url"] == "https://crm.example/ld_1"  # what it would have sent
    # The same draft without the mock succeeds.
    assert (await simulate(simulator, document, {"data": LEAD}))["path"] == ["call", "done"]
    # A team's own activity fails the same way.
    report = await simulate(simulator, CHARGE, {"data": LEAD}, failures={"charge": "declined"})
    assert (report["status"], report["steps"][0]["status"]) == ("failed", "failed")
    assert "declined" in report["steps"][0]["error"]["message"]
