"""Simulation equals reality (issue 12): a simulated run of an event takes the path and renders
the content a live run of the same event does — derived fields and recipient roles from the
catalog, stored email templates and records read (never written), the same failures."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from activities.stored_reads import StoredReads
from tests.api.conftest import Stack, finished, live_stack
from worker.simulator import Simulator


@pytest.fixture(scope="module")
async def simulator(engine: Engine) -> AsyncIterator[Simulator]:
    simulator = Simulator(
        max_drift=timedelta(days=100_000), refresh_early=False, reads=StoredReads(engine)
    )
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
