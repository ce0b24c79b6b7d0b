"""Simulation equals reality (issue 12): a simulated run of an event takes the path and renders
the content a live run of the same event does — derived fields and recipient roles from the
catalog, stored email templates and records read (never written), the same failures."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from activities.stored_reads import StoredReads
from definitions.library import TEMPLATES, Template
from tests.api.conftest import Stack, finished, live_stack
from tests.helpers.peers import RecordingHttpServer
from worker.simulator import Simulator


@pytest.fixture(scope="module")
async def simulator(engine: Engine) -> AsyncIterator[Simulator]:
    # As the API's own: a server whose clock a long wait moved on starts afresh, so "today"
    # in a simulation is today, as in the live run it is compared with.
    simulator = Simulator(refresh_early=False, reads=StoredReads(engine))
    yield simulator
    await simulator.close()


@pytest.fixture
async def both(
    dev_env: WorkflowEnvironment, engine: Engine, simulator: Simulator
) -> AsyncIterator[Stack]:
    async with live_stack(dev_env, engine, simulator) as stack:
        yield stack


async def live_and_simulated(
    stack: Stack, document: dict[str, Any], event_type: str, data: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The live run and the simulation of one event, for a workflow made of ``document``."""
    created = await stack.create_active(document)
    simulated = await stack.api.post(
        f"/v1/workflows/{created['id']}/test", json={"event": {"type": event_type, "data": data}}
    )
    assert simulated.status_code == 200, simulated.text
    event = {"type": event_type, "id": uuid.uuid4().hex, "data": data}
    accepted = await stack.api.post("/v1/events", json=event)
    assert accepted.status_code == 202, accepted.text
    (started,) = accepted.json()["runs"]
    return await stack.wait_run(started["id"], finished), simulated.json()


def path_of(run: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["node_id"], s["status"]) for s in run["steps"]]


def simulated_path(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["node_id"], s["status"]) for s in body["steps"]]


async def test_derived_fields_roles_and_a_stored_template_render_alike(both: Stack) -> None:
    stack = both
    template = {"subject": "Hello {{ invitee_name }}", "text": "Domain {{ invitee_domain }}"}
    assert (await stack.api.put("/v1/email-templates/hello", json=template)).status_code in (
        200,
        201,
    )
    document = {
        "name": "Hello", "trigger": "booking_created",
        "actions": [
            {"name": "Hello", "action_type": "send_email", "recipient": "invitee",
             "subject": "", "message": "", "template_id": "hello",
             "conditions": [{"operator": "AND", "rules": [
                 {"field": "invitee_domain", "operator": "equals", "value": "acme.com"}]}]},
        ],
    }  # fmt: skip
    booking = {"invitee_name": "Ann", "invitee_email": "ann@acme.com"}
    live, simulated = await live_and_simulated(stack, document, "booking.created", booking)
    assert path_of(live) == simulated_path(simulated) == [("send_email_1", "completed")]
    (sent,) = stack.smtp.messages
    content = simulated["steps"][0]["content"]
    assert (content["to"], content["subject"]) == (sent.rcpt_tos, sent.message["Subject"])
    assert content["subject"] == "Hello Ann"
    assert content["text"].strip() == sent.message.get_content().strip() == "Domain acme.com"


async def test_a_missing_template_or_record_fails_the_simulated_step_as_it_fails_live(
    both: Stack,
) -> None:
    stack = both
    document = {
        "name": "Missing", "trigger": {"event": "order.paid"},
        "steps": [
            {"id": "mail", "type": "send_email", "to": "ann@example.com", "template": "gone"},
            {"id": "touch", "type": "update_record", "record_type": "customer",
             "record_id": "{{ customer_id }}", "fields": {"paid": True}},
            {"id": "find", "type": "query_records", "record_type": "customer"},
        ],
    }  # fmt: skip
    record = {"id": "c_1", "data": {"name": "Ann"}}
    assert (await stack.api.post("/v1/records/customer", json=record)).status_code == 201
    live, simulated = await live_and_simulated(
        stack, document, "order.paid", {"customer_id": "c_9"}
    )
    expected = [("mail", "failed"), ("touch", "failed"), ("find", "completed")]
    assert path_of(live) == simulated_path(simulated) == expected
    errors = [(s["error"] or {}).get("message") for s in simulated["steps"]]
    assert errors[:2] == [(s["error"] or {}).get("message") for s in live["steps"]][:2]
    assert errors[:2] == ["email template 'gone' does not exist", "no customer 'c_9'"]
    live_found = live["steps"][2]["output"]
    assert simulated["steps"][2]["output"] == live_found
    assert [c["id"] for c in live_found] == ["c_1"]
    # Nothing the simulation did was kept: the customer is as it was.
    stored = (await stack.api.get("/v1/records/customer/c_1")).json()
    assert stored["data"] == {"name": "Ann"}


URL_FIELDS = ("tickets_url", "crm_url", "feedback_url")
ERP_SITE = "https://erp.example.com"


def _with_local_urls(data: dict[str, Any], base: str) -> dict[str, Any]:
    """The template's sample data with its endpoints on a loopback peer (both runs call it)."""
    return {k: (f"{base}/{k}" if k in URL_FIELDS else v) for k, v in data.items()}


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda t: t.id)
async def test_every_built_in_template_simulates_as_it_runs(
    both: Stack, template: Template
) -> None:
    """The live run of the template's sample event, as far as it gets today (up to its first
    wait), takes the simulated path's first steps, and each email it sent is the one the
    simulation rendered."""
    stack = both
    with RecordingHttpServer() as peer:
        base = peer.url("").rstrip("/")
        data = _with_local_urls(template.sample_data, base)
        # A URL the template sets itself (the weekly report's) goes to the peer too.
        steps = json.loads(json.dumps(template.document()["steps"]).replace(ERP_SITE, base))
        created = await stack.api.post(
            "/v1/workflows/from-template",
            json={"template_id": template.id, "overrides": {"steps": steps}},
        )
        assert created.status_code == 201, created.text
        workflow_id = created.json()["id"]
        assert (await stack.api.post(f"/v1/workflows/{workflow_id}/activate")).status_code == 200
        trigger = template.definition["trigger"]
        event = {"type": trigger.get("event"), "id": uuid.uuid4().hex, "data": data}
        test = {"event": {"data": data}} if trigger["type"] == "schedule" else {"event": event}
        simulated = await stack.api.post(f"/v1/workflows/{workflow_id}/test", json=test)
        assert simulated.status_code == 200, simulated.text
        if trigger["type"] == "schedule":
            response = await stack.api.post(
                f"/v1/workflows/{workflow_id}/execute", json={"input": data}
            )
            run_id = response.json()["id"]
        else:
            response = await stack.api.post("/v1/events", json=event)
            (started,) = response.json()["runs"]
            run_id = started["id"]
        live = await stack.wait_run(run_id, lambda r: r["status"] != "running")
    done = [(s["node_id"], s["status"]) for s in live["steps"] if s["status"] != "waiting"]
    steps = simulated.json()["steps"]
    assert [(s["node_id"], s["status"]) for s in steps][: len(done)] == done
    emails = [
        (s["content"]["subject"], s["content"]["to"])
        for s in steps[: len(done)]
        if s["type"] == "send_email" and s["status"] == "completed"
    ]
    sent = [(m.message["Subject"], m.rcpt_tos) for m in stack.smtp.messages]
    assert sorted(emails) == sorted(sent)
