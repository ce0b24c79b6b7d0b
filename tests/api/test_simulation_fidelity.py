"""Simulation equals reality (issue 12): a simulated run of an event takes the path and renders
the content a live run of the same event does — derived fields and recipient roles from the
catalog, stored email templates and records read (never written), the same failures."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from activities.stored_reads import StoredReads
from definitions.library import TEMPLATES, Template
from definitions.loading import load_definition
from tests.api.conftest import Stack, finished, live_stack
from tests.definitions.test_seed_examples import (
    ERP_WORKFLOW,
    MARKETING_WORKFLOW,
    MEETING_WORKFLOWS,
    SCHEDULING_WORKFLOW,
)
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
    stack: Stack,
    document: dict[str, Any],
    event_type: str,
    data: dict[str, Any],
    until: Callable[[dict[str, Any]], bool] = finished,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The live run (once ``until`` holds) and the simulation of one event, for a workflow
    made of ``document``."""
    created = await stack.create_active(document)
    simulated = await stack.api.post(
        f"/v1/workflows/{created['id']}/test", json={"event": {"type": event_type, "data": data}}
    )
    assert simulated.status_code == 200, simulated.text
    event = {"type": event_type, "id": uuid.uuid4().hex, "data": data}
    accepted = await stack.api.post("/v1/events", json=event)
    assert accepted.status_code == 202, accepted.text
    (started,) = accepted.json()["runs"]
    return await stack.wait_run(started["id"], until), simulated.json()


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


# --- the reference documents' own complete example workflows ----------------------------------
# (as tests/definitions/test_seed_examples.py copies them from ../shared/seeds)

SENT_FIELDS = {
    "email": ("to", "cc", "bcc", "subject", "text", "html"),
    "sms": ("to", "body"),
    "http": ("method", "url", "body"),
}


async def compare_live_and_simulated(
    stack: Stack, live: dict[str, Any], simulated: dict[str, Any]
) -> list[dict[str, Any]]:
    """The live run, as far as it got without waiting, took the simulated path's first steps,
    and every message it sent (``GET /v1/deliveries``: what was sent, rendered) is what the
    simulation rendered for that step. Returns the live run's messages."""
    done = [(s["step_key"], s["status"]) for s in live["steps"] if s["status"] != "waiting"]
    steps = simulated["steps"]
    assert [(s["step_key"], s["status"]) for s in steps][: len(done)] == done, (live, steps)
    rendered = {s["step_key"]: s["content"] for s in steps[: len(done)] if s["content"]}
    listed = await stack.api.get("/v1/deliveries", params={"run_id": live["id"]})
    deliveries = listed.json()["items"]
    for delivery in deliveries:
        content, message = rendered[delivery["step_key"]], delivery["message"]
        for field in SENT_FIELDS[delivery["channel"]]:
            expected = content.get(field)
            if delivery["channel"] == "sms" and field == "to":
                expected = [expected]
            assert message[field] == expected, (delivery["step_key"], field)
    sends = [s for s in steps[: len(done)] if s["content"] and s["status"] == "completed"]
    assert len(deliveries) == len([s for s in sends if s["type"] in SEND_TYPES])
    return [d["message"] for d in deliveries]


SEND_TYPES = ("send_email", "send_sms", "http_request")


def settled(run: dict[str, Any]) -> bool:
    """Ended, or waiting (for days: the simulation skips them, a live run cannot)."""
    return run["status"] != "running"


async def test_the_scheduling_documents_workflow_simulates_as_it_runs(both: Stack) -> None:
    with RecordingHttpServer() as crm:
        document = json.loads(
            json.dumps(SCHEDULING_WORKFLOW).replace("https://crm.example.com", crm.base_url)
        )
        booking = {"invitee_name": "Ann", "invitee_email": "ann@enterprise.com",
                   "event_type_name": "Discovery Call", "organizer_name": "Bob",
                   "start_time": "2030-05-01T15:00:00Z"}  # fmt: skip
        live, simulated = await live_and_simulated(both, document, "booking.created", booking)
        sent = await compare_live_and_simulated(both, live, simulated)
    assert [m["subject"] for m in sent if m["subject"]] == ["Your Discovery Call with Bob"]
    assert len(crm.requests) == 1 and len(sent) == 2  # the email, then the CRM's webhook


async def test_the_marketing_documents_workflow_simulates_as_it_runs(both: Stack) -> None:
    template = {"subject": "Hi", "text": "Welcome, {{ contact.name }}"}
    assert (await both.api.put("/v1/email-templates/123", json=template)).status_code in (200, 201)
    contact = {"contact": {"name": "Ann", "email": "ann@example.com"}}
    live, simulated = await live_and_simulated(
        both, MARKETING_WORKFLOW, "contact.created", contact, settled
    )
    assert live["status"] == "waiting"  # two days, live; the simulation skips them
    (sent,) = await compare_live_and_simulated(both, live, simulated)
    assert (sent["subject"], sent["text"]) == ("Welcome!", "Welcome, Ann")
    await both.api.post(f"/v1/runs/{live['id']}/cancel")


async def test_the_erp_documents_invoice_reminder_simulates_as_it_runs(both: Stack) -> None:
    stack = both
    reminder = {
        "subject": "Invoice {{ invoice_number }}",
        "text": "{{ amount }} due {{ due_date }}",
    }
    assert (await stack.api.put("/v1/email-templates/invoice_reminder", json=reminder)).is_success
    invoices = [
        {"id": "inv_1", "data": {"status": "overdue", "days_overdue": 9, "reminder_count": 1,
                                 "number": "A-1", "amount": 120, "due_date": "2030-01-01",
                                 "customer": {"email": "pay@acme.example"}}},
        {"id": "inv_2", "data": {"status": "overdue", "days_overdue": 40, "reminder_count": 3,
                                 "number": "A-2", "amount": 80, "due_date": "2029-11-01",
                                 "customer": {"email": "ap@globex.example"}}},
        {"id": "inv_3", "data": {"status": "overdue", "days_overdue": 2, "reminder_count": 0,
                                 "number": "A-3", "amount": 10, "due_date": "2030-02-01",
                                 "customer": {"email": "x@initech.example"}}},
    ]  # fmt: skip
    for invoice in invoices:
        assert (await stack.api.post("/v1/records/invoices", json=invoice)).status_code == 201
    created = await stack.create_active(ERP_WORKFLOW)
    simulated = await stack.api.post(f"/v1/workflows/{created['id']}/test", json={})
    assert simulated.status_code == 200, simulated.text
    executed = await stack.api.post(f"/v1/workflows/{created['id']}/execute", json={})
    assert executed.status_code in (200, 201, 202), executed.text
    live = await stack.wait_run(executed.json()["id"], finished)
    sent = await compare_live_and_simulated(stack, live, simulated.json())
    # One reminder (A-1); A-2 has had three: escalated as a ticket; A-3 is not 7 days overdue.
    assert [(m["to"], m["subject"]) for m in sent] == [(["pay@acme.example"], "Invoice A-1")]
    tickets = (await stack.api.get("/v1/records/ticket")).json()["items"]
    assert [t["data"]["subject"] for t in tickets] == ["Escalate: Invoice A-2 severely overdue"]


@pytest.mark.parametrize("name", sorted(MEETING_WORKFLOWS))
async def test_the_meeting_engines_workflows_simulate_as_they_run(both: Stack, name: str) -> None:
    stack = both
    assert (await stack.api.put("/v1/tenant", json={"name": "Smith & Co"})).status_code == 200
    in_three_days = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    appointment = {
        # In three days: the simulation skips the reminder's wait (it simulates up to a year).
        "appointment": {"id": "ap_1", "start_time": in_three_days,
                        "location_details": "Room 4", "status": "confirmed"},
        "contact": {"name": "Ann", "email": "ann@example.com"},
        "staff": {"name": "Dr. Lee", "email": "lee@example.com"},
    }  # fmt: skip
    document = MEETING_WORKFLOWS[name]
    event = str(load_definition(document).trigger.event)
    live, simulated = await live_and_simulated(stack, document, event, appointment, settled)
    sent = await compare_live_and_simulated(stack, live, simulated)
    if live["status"] == "waiting":  # the reminder and the thank-you wait first
        assert sent == []
        await stack.api.post(f"/v1/runs/{live['id']}/cancel")
        body = simulated["steps"][-1]["content"]["text"]
    else:
        ((message),) = sent
        body = message["text"]
    assert body.startswith("Hi Ann,")
    if name == "Confirmation Email":
        assert body.rstrip().endswith("Smith & Co")  # {{firm.name}}: the tenant's name
