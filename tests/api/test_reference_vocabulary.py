"""The reference documents' vocabulary through the API (issue 12): a key Relay does not know is
refused with its path, and the documents' own shapes run as they say."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from activities.stored_reads import StoredReads
from tests.api.conftest import Stack, finished, live_stack, problem
from tests.helpers.peers import RecordingHttpServer
from tests.helpers.polling import eventually
from worker.simulator import Simulator

SET = {"type": "set", "values": {"done": True}}


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
    """Live runs on the dev server and simulations on their own test server, one app."""
    async with live_stack(dev_env, engine, simulator) as stack:
        yield stack


async def _event(stack: Stack, event_type: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    response = await stack.api.post(
        "/v1/events", json={"type": event_type, "id": uuid.uuid4().hex, "data": data}
    )
    assert response.status_code == 202, response.text
    runs: list[dict[str, Any]] = response.json()["runs"]
    return runs


async def test_an_unknown_key_is_refused_at_its_path_with_the_close_known_one(
    stack: Stack,
) -> None:
    document = {
        "name": "Welcome",
        "trigger": {"event": "contact.created", "dedupe_kye": "{{ id }}"},
        "steps": [{"id": "hello", "type": "send_email", "to": "{{ email }}", "subjet": "Hi",
                   "subject": "Hi", "body": "Hello", "colour": "red"}],
    }  # fmt: skip
    body = problem(await stack.api.post("/v1/workflows", json=document), 422)
    assert body["errors"] == [
        {"path": "trigger.dedupe_kye",
         "message": "the trigger has no key 'dedupe_kye'; did you mean 'dedupe_key'?"},
        {"path": "steps[0].subjet",
         "message": "a send_email step has no key 'subjet'; did you mean 'subject'?"},
        {"path": "steps[0].colour", "message": "a send_email step has no key 'colour'"},
    ]  # fmt: skip
    listed = (await stack.api.get("/v1/workflows")).json()
    assert listed["items"] == []


async def test_presentation_metadata_is_accepted_and_kept_in_the_stored_document(
    stack: Stack,
) -> None:
    document = {
        "name": "Drawn",
        "description": "made in the builder",
        "ui": {"zoom": 1.5},
        "trigger": {"event": "contact.created"},
        "nodes": [{"id": "mark", **SET, "label": "Mark", "position_x": 10, "color": "#fff"}],
        "edges": [{"from": "trigger", "to": "mark", "label": "start"}],
    }
    created = await stack.api.post("/v1/workflows", json=document)
    assert created.status_code == 201, created.text
    workflow_id = created.json()["id"]
    exported = await stack.api.get(f"/v1/workflows/{workflow_id}/export")
    assert exported.status_code == 200, exported.text
    assert '"position_x": 10' in exported.text and '"zoom": 1.5' in exported.text


async def test_crm_top_level_event_type_and_conditions_start_only_the_matching_runs(
    stack: Stack,
) -> None:
    await stack.create_active(
        {
            "name": "Auto-qualify high-value leads",
            "event_type": "lead.created",
            "conditions": {
                "and": [
                    {"field": "annual_revenue", "operator": "gte", "value": 1000000},
                    {"field": "budget", "operator": "gte", "value": 50000},
                ]
            },
            "steps": [{"id": "qualify", **SET}],
        }
    )
    small = await _event(stack, "lead.created", {"annual_revenue": 2000000, "budget": 10000})
    assert small == []
    big = await _event(stack, "lead.created", {"annual_revenue": 2000000, "budget": 60000})
    assert len(big) == 1
    run = await stack.wait_run(big[0]["id"], finished)
    assert [(s["node_id"], s["status"]) for s in run["steps"]] == [("qualify", "completed")]


async def test_marketing_condition_with_its_comparison_in_the_configuration_chooses_the_branch(
    stack: Stack,
) -> None:
    await stack.create_active(
        {
            "name": "Hot or cold",
            "trigger": {"trigger_type": "contact_created", "configuration": {}},
            "nodes": [
                {"node_id": "score", "node_type": "condition",
                 "configuration": {"field": "lead_score", "operator": "gte", "value": 50}},
                {"node_id": "hot", "node_type": "set", "configuration": {"values": {"t": "hot"}}},
                {"node_id": "cold", "node_type": "set", "configuration": {"values": {"t": "cold"}}},
            ],
            "edges": [
                {"source_node": "score", "target_node": "hot", "label": "Yes"},
                {"source_node": "score", "target_node": "cold", "label": "No"},
            ],
        }
    )  # fmt: skip
    for score, taken in ((70, "hot"), (10, "cold")):
        (started,) = await _event(stack, "contact.created", {"lead_score": score})
        run = await stack.wait_run(started["id"], finished)
        assert run["status"] == "completed"
        assert [(s["node_id"], s["status"]) for s in run["steps"]] == [
            ("score", "completed"),
            (taken, "completed"),
        ]


REMINDER = {"action_type": "send_email", "recipient": "invitee", "subject": "Tomorrow",
            "message": "See you tomorrow"}  # fmt: skip


async def test_scheduling_before_meeting_with_delay_minutes_waits_until_a_day_before_the_start(
    stack: Stack,
) -> None:
    await stack.create_active(
        {"name": "24-hour reminder", "trigger": "before_meeting", "delay_minutes": 1440,
         "actions": [{"name": "Remind", **REMINDER}]}
    )  # fmt: skip
    booking = {"booking_id": "bk_2030", "invitee_email": "ann@example.com",
               "start_time": "2030-03-01T15:00:00+00:00", "end_time": "2030-03-01T15:30:00+00:00"}  # fmt: skip
    event = {"type": "booking.created", "id": uuid.uuid4().hex, "entity": "bk_2030",
             "data": booking}  # fmt: skip
    response = await stack.api.post("/v1/events", json=event)
    assert response.status_code == 202, response.text
    (started,) = response.json()["runs"]
    run = await stack.wait_run(started["id"], lambda r: r["status"] == "waiting")
    (wait,) = run["steps"]
    assert (wait["node_id"], wait["status"]) == ("trigger", "waiting"), wait
    assert wait["output"] == {"until": "2030-02-28T15:00:00+00:00"}  # 24 hours before the start
    assert stack.smtp.messages == []  # not sent at once, as it was before

    cancel = {"type": "booking.cancelled", "id": uuid.uuid4().hex, "entity": "bk_2030", "data": {}}
    assert (await stack.api.post("/v1/events", json=cancel)).status_code == 202
    run = await stack.wait_run(started["id"], lambda r: r["status"] == "cancelled")
    assert stack.smtp.messages == []


async def test_scheduling_delay_minutes_on_a_booking_trigger_delays_the_actions(
    stack: Stack,
) -> None:
    await stack.create_active(
        {"name": "Follow-up", "trigger": "booking_created", "delay_minutes": 90,
         "actions": [{"name": "Follow up", **REMINDER}]}
    )  # fmt: skip
    (started,) = await _event(stack, "booking.created", {"invitee_email": "ann@example.com"})
    run = await stack.wait_run(started["id"], lambda r: r["status"] == "waiting")
    assert [(s["node_id"], s["status"]) for s in run["steps"]] == [("trigger", "waiting")]
    assert stack.smtp.messages == []
    negative = {"name": "Back in time", "trigger": "booking_created", "delay_minutes": -5,
                "actions": [REMINDER]}  # fmt: skip
    body = problem(await stack.api.post("/v1/workflows", json=negative), 422)
    assert body["errors"] == [{"path": "delay_minutes", "message": "a delay cannot be negative"}]


async def test_meeting_engine_24_hour_reminder_waits_for_a_day_before_and_skips_a_past_one(
    stack: Stack,
) -> None:
    await stack.create_active(
        {"name": "24-Hour Reminder", "trigger": "appointment_created", "delay_minutes": -1440,
         "action_type": "send_email",
         "action_config": {"subject": "Appointment Reminder",
                           "template": "Hi {{contact.name}}, your appointment is at "
                                       "{{appointment.start_time}}",
                           "to_email": "{{contact.email}}", "from_email": "noreply@firm.com"}}
    )  # fmt: skip
    contact = {"name": "Ann", "email": "ann@example.com"}
    future = {"contact": contact, "appointment": {"start_time": "2030-05-02T14:00:00+00:00"}}
    (started,) = await _event(stack, "appointment.created", future)
    run = await stack.wait_run(started["id"], lambda r: r["status"] == "waiting")
    (wait,) = run["steps"]
    assert (wait["node_id"], wait["output"]) == ("trigger", {"until": "2030-05-01T14:00:00+00:00"})
    assert stack.smtp.messages == []  # the worst case seen: it was emailed at once

    past = {"contact": contact, "appointment": {"start_time": "2020-05-02T14:00:00+00:00"}}
    (skipped,) = await _event(stack, "appointment.created", past)
    run = await stack.wait_run(skipped["id"], finished)
    assert run["status"] == "skipped"
    assert stack.smtp.messages == []


async def test_scheduling_custom_answers_read_as_custom_key_in_templates_and_conditions(
    stack: Stack,
) -> None:
    document = {
        "name": "Company follow-up", "trigger": "booking_created",
        "actions": [{"name": "Thank", "action_type": "send_email", "recipient": "invitee",
                     "subject": "Thanks, {{custom_company}}", "message": "Team: {{custom_team_size}}",
                     "conditions": [{"operator": "AND", "rules": [
                         {"field": "custom_company", "operator": "is_not_empty"}]}]}],
    }  # fmt: skip
    validated = await stack.api.post("/v1/workflows/validate", json=document)
    assert validated.status_code == 200, validated.text
    assert validated.json()["warnings"] == []  # custom_{key} is a name the context provides
    await stack.create_active(document)
    answers = {"Company": "Acme", "Team size": 12}
    (started,) = await _event(
        stack,
        "booking.created",
        {"invitee_email": "ann@example.com", "custom_answers": answers},
    )
    run = await stack.wait_run(started["id"], finished)
    assert run["status"] == "completed", run
    (sent,) = stack.smtp.messages
    assert sent.message["Subject"] == "Thanks, Acme"
    assert "Team: 12" in sent.message.get_body(("plain",)).get_content()

    (skipped,) = await _event(stack, "booking.created", {"invitee_email": "bo@example.com"})
    run = await stack.wait_run(skipped["id"], finished)
    assert [s["status"] for s in run["steps"]] == ["skipped"]  # no company answer: the condition
    assert len(stack.smtp.messages) == 1


async def test_scheduling_event_types_start_runs_for_those_event_types_only(
    stack: Stack,
) -> None:
    await stack.create_active(
        {"name": "Demo follow-up", "trigger": "booking_created",
         "event_types": ["demo-call", "et_42"],
         "actions": [{"name": "Thank", **REMINDER}]}
    )  # fmt: skip
    other = await _event(stack, "booking.created", {"event_type_slug": "intro", "event_type_id": 7})
    assert other == []
    by_slug = await _event(stack, "booking.created", {"event_type_slug": "demo-call"})
    by_id = await _event(stack, "booking.created", {"event_type_id": "et_42"})
    assert len(by_slug) == 1 and len(by_id) == 1
    wrong = {"name": "CRM", "trigger": "lead_created", "event_types": ["demo"],
             "actions": [REMINDER]}  # fmt: skip
    body = problem(await stack.api.post("/v1/workflows", json=wrong), 422)
    assert body["errors"] == [
        {"path": "event_types", "message": "event_types filters booking triggers only"}
    ]


async def test_erp_execute_takes_its_input_as_input_data(stack: Stack) -> None:
    created = await stack.create_active(
        {"name": "Customer check", "trigger": {"type": "manual"},
         "steps": [{"id": "note", "type": "set", "values": {"customer": "{{ customer_id }}"}}]}
    )  # fmt: skip
    url = f"/v1/workflows/{created['id']}/execute"
    response = await stack.api.post(url, json={"input_data": {"customer_id": "cust_001"}})
    assert response.status_code == 202, response.text
    run = await stack.wait_run(response.json()["id"], finished)
    assert run["status"] == "completed"
    assert run["steps"][0]["output"] == {"customer": "cust_001"}
    both = {"input": {"customer_id": "a"}, "input_data": {"customer_id": "b"}}
    body = problem(await stack.api.post(url, json=both), 422)
    assert body["errors"] == [
        {"path": "input_data", "message": "input_data is another name for input: give one"}
    ]


THANKS = {
    "name": "Thanks", "trigger": "booking_created",
    "actions": [{"name": "Thank", "action_type": "send_email", "recipient": "invitee",
                 "subject": "Thanks, {{invitee_name}}", "message": "See you"}],
}  # fmt: skip


async def test_scheduling_test_types_mock_real_and_live(both: Stack) -> None:
    stack = both
    # Stored before the workflow is active: its booking.created event starts nothing.
    record = {"id": "bk_9", "data": {"invitee_name": "Bo", "invitee_email": "bo@example.com"}}
    assert (await stack.api.post("/v1/records/booking", json=record)).status_code == 201
    created = await stack.create_active(THANKS)
    url = f"/v1/workflows/{created['id']}/test"
    mock = await stack.api.post(url, json={"mode": "mock_data"})
    assert mock.status_code == 200, mock.text
    assert (mock.json()["mode"], mock.json()["sample_data"]) == ("mock", True)

    booking = {"invitee_name": "Ann", "invitee_email": "ann@example.com"}
    event_id = uuid.uuid4().hex
    posted = await stack.api.post(
        "/v1/events", json={"type": "booking.created", "id": event_id, "data": booking}
    )
    (started,) = posted.json()["runs"]
    await stack.wait_run(started["id"], finished)
    assert len(stack.smtp.messages) == 1
    real = await stack.api.post(url, json={"mode": "real_data", "event_id": event_id})
    assert real.status_code == 200, real.text
    body = real.json()
    assert (body["mode"], body["sample_data"], body["path"]) == ("real", False, ["send_email_1"])
    assert body["steps"][0]["content"]["subject"] == "Thanks, Ann"
    assert len(stack.smtp.messages) == 1  # simulated: nothing sent

    real = await stack.api.post(
        url, json={"mode": "real", "record": {"type": "booking", "id": "bk_9"}}
    )
    assert real.status_code == 200, real.text
    assert real.json()["steps"][0]["content"]["subject"] == "Thanks, Bo"
    assert real.json()["trigger"]["entity"] == "booking:bk_9"

    missing = await stack.api.post(url, json={"mode": "real", "event_id": "nope"})
    assert problem(missing, 404)["detail"] == "no event 'nope'"
    problem(await stack.api.post(url, json={"mode": "real"}), 422)  # which stored data?
    problem(await stack.api.post(url, json={"mode": "mock", "event_id": event_id}), 422)

    live = await stack.api.post(url, json={"mode": "live_test", "event_id": event_id})
    assert live.status_code == 202, live.text
    run = await stack.wait_run(live.json()["id"], finished)
    assert run["status"] == "completed"
    assert [m.message["Subject"] for m in stack.smtp.messages] == ["Thanks, Ann", "Thanks, Ann"]


async def _validated(stack: Stack, document: dict[str, Any]) -> dict[str, Any]:
    response = await stack.api.post("/v1/workflows/validate", json=document)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_marketing_template_id_names_a_stored_template_and_a_missing_one_is_refused(
    stack: Stack,
) -> None:
    document = {
        "name": "Welcome series",
        "trigger": {"trigger_type": "contact_created", "configuration": {}},
        "nodes": [{"node_id": "welcome", "node_type": "send_email",
                   "configuration": {"template_id": 123, "subject": "Welcome!",
                                     "to_email": "{{ email }}"}}],
        "edges": [],
    }  # fmt: skip
    body = await _validated(stack, document)
    assert body["valid"] is False
    assert body["errors"] == [
        {"path": "nodes[0].configuration.template_id",
         "message": "no email template is named '123': store it first"}
    ]  # fmt: skip
    template = {"subject": "Hi", "text": "Welcome, {{ email }}"}
    stored = await stack.api.put("/v1/email-templates/123", json=template)
    assert stored.status_code in (200, 201), stored.text
    assert (await _validated(stack, document))["valid"] is True
    await stack.create_active(document)
    (started,) = await _event(stack, "contact.created", {"email": "ann@example.com"})
    run = await stack.wait_run(started["id"], finished)
    assert run["status"] == "completed"
    (sent,) = stack.smtp.messages
    assert sent.message["Subject"] == "Welcome!"
    assert sent.message.get_content().strip() == "Welcome, ann@example.com"


async def test_erp_query_records_of_a_type_only_its_singular_has_is_a_warning(
    stack: Stack,
) -> None:
    record = {"id": "inv_1", "data": {"status": "overdue"}}
    assert (await stack.api.post("/v1/records/invoice", json=record)).status_code == 201
    document = {
        "name": "Overdue invoice reminders", "trigger": {"type": "manual"},
        "nodes": [{"id": "find_overdue", "type": "action", "action": "query_records",
                   "config": {"entity": "invoices", "filter": {"status": "overdue"}}}],
        "edges": [],
    }  # fmt: skip
    body = await _validated(stack, document)
    assert body["valid"] is True
    assert body["warnings"] == [
        {"path": "nodes[0].config.entity",
         "message": "no 'invoices' records are stored, but 'invoice' records are: "
                    "did you mean 'invoice'?"}
    ]  # fmt: skip
    singular = {**document, "nodes": [{**document["nodes"][0], "config": {"entity": "invoice"}}]}
    assert (await _validated(stack, singular))["warnings"] == []


async def test_scheduling_a_second_workflow_of_the_same_name_is_a_warning(stack: Stack) -> None:
    created = await stack.api.post("/v1/workflows", json=THANKS)
    assert created.status_code == 201, created.text
    body = await _validated(stack, THANKS)
    assert body["warnings"] == [{"path": "name", "message": "another workflow is named 'Thanks'"}]
    own = await stack.api.post(f"/v1/workflows/{created.json()['id']}/validate")
    assert own.json()["warnings"] == []  # the workflow itself is no other one


def _marketing(trigger_type: str, configuration: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": f"On {trigger_type}",
        "triggers": [{"trigger_type": trigger_type, "configuration": configuration,
                      "is_active": True}],
        "nodes": [{"node_id": "mark", "node_type": "set",
                   "configuration": {"values": {"done": True}}}],
        "edges": [],
    }  # fmt: skip


async def test_marketing_triggers_list_and_configuration_filter_the_runs(stack: Stack) -> None:
    await stack.create_active(_marketing("contact_tag_added", {"tag_name": "vip"}))
    await stack.create_active(_marketing("score_threshold_reached", {"threshold": 80}))
    await stack.create_active(_marketing("form_submitted", {"form_id": 123}))
    assert await _event(stack, "contact.tag_added", {"tag": "newsletter"}) == []
    assert len(await _event(stack, "contact.tag_added", {"tag": "vip"})) == 1
    assert await _event(stack, "score.threshold_reached", {"score": 70, "threshold": 70}) == []
    assert len(await _event(stack, "score.threshold_reached", {"score": 85})) == 1
    assert await _event(stack, "form.submitted", {"form_id": 7}) == []
    (started,) = await _event(stack, "form.submitted", {"form_id": 123})
    run = await stack.wait_run(started["id"], finished)
    assert [(s["node_id"], s["status"]) for s in run["steps"]] == [("mark", "completed")]

    not_its_own = _marketing("contact_created", {"tag_name": "vip"})
    body = problem(await stack.api.post("/v1/workflows", json=not_its_own), 422)
    assert body["errors"] == [{"path": "triggers[0].configuration.tag_name",
                               "message": "the trigger has no key 'tag_name'"}]  # fmt: skip
    two = {**not_its_own, "triggers": [{"trigger_type": "contact_created"}] * 2}
    body = problem(await stack.api.post("/v1/workflows", json=two), 422)
    assert body["errors"] == [{"path": "triggers", "message": "a workflow has one trigger: list "
                               "one, and make a workflow per other trigger"}]  # fmt: skip


MEETING_EMAIL = {"subject": "Confirmed", "template": "Hi {{contact.name}}",
                 "to_email": "{{contact.email}}", "from_email": "noreply@firm.com"}  # fmt: skip


async def test_meeting_engine_appointment_type_filters_and_firm_is_the_tenant(
    stack: Stack,
) -> None:
    document = {"name": "Confirmation Email", "trigger": "appointment_confirmed",
                "appointment_type": "consultation", "delay_minutes": 0,
                "action_type": "send_email", "action_config": MEETING_EMAIL}  # fmt: skip
    await stack.create_active(document)
    contact = {"name": "Ann", "email": "ann@example.com"}
    other = {"contact": contact, "appointment": {"appointment_type": "intro"}}
    assert await _event(stack, "appointment.confirmed", other) == []
    (started,) = await _event(
        stack, "appointment.confirmed", {"contact": contact, "appointment_type": "consultation"}
    )
    run = await stack.wait_run(started["id"], finished)
    assert run["status"] == "completed"
    assert [m.message["Subject"] for m in stack.smtp.messages] == ["Confirmed"]
    every_type = await stack.api.post("/v1/workflows", json={**document, "appointment_type": None})
    assert every_type.status_code == 201, every_type.text
    body = problem(await stack.api.post("/v1/workflows", json={**document, "firm": 7}), 422)
    assert body["errors"] == [{"path": "firm", "message": "a workflow belongs to the tenant "
                               "whose API key creates it: a firm is a tenant"}]  # fmt: skip


async def test_meeting_engine_a_cancelled_appointment_ends_its_waiting_run_unsent(
    stack: Stack,
) -> None:
    await stack.create_active(
        {"name": "24-Hour Reminder", "trigger": "appointment_created", "delay_minutes": -1440,
         "action_type": "send_email", "action_config": MEETING_EMAIL}
    )  # fmt: skip
    data = {"contact": {"name": "Ann", "email": "ann@example.com"},
            "appointment": {"start_time": "2030-05-02T14:00:00+00:00"}}  # fmt: skip
    created = {"type": "appointment.created", "id": uuid.uuid4().hex, "entity": "apt_1",
               "data": data}  # fmt: skip
    (started,) = (await stack.api.post("/v1/events", json=created)).json()["runs"]
    await stack.wait_run(started["id"], lambda r: r["status"] == "waiting")
    cancelled = {"type": "appointment.cancelled", "id": uuid.uuid4().hex, "entity": "apt_1",
                 "data": {}}  # fmt: skip
    assert (await stack.api.post("/v1/events", json=cancelled)).status_code == 202
    run = await stack.wait_run(started["id"], lambda r: r["status"] == "cancelled")
    assert [s["status"] for s in run["steps"] if s["node_id"] != "trigger"] == []
    assert stack.smtp.messages == []


async def test_erp_weekly_report_template_runs_on_its_schedule(stack: Stack) -> None:
    listed = (await stack.api.get("/v1/templates")).json()["items"]
    (template,) = [t for t in listed if t["id"] == "weekly_report"]
    assert template["definition"]["trigger"] == {
        "type": "schedule", "cron": "0 9 * * 1", "timezone": "UTC"
    }  # fmt: skip
    with RecordingHttpServer() as erp:
        erp.script(body_json={"revenue": 1200, "new_customers": 3, "open_tickets": 5})
        steps = template["definition"]["steps"]
        steps[0]["values"]["report_url"] = erp.url("/api/reports/weekly")
        created = await stack.api.post(
            "/v1/workflows/from-template",
            json={"template_id": "weekly_report", "overrides": {"steps": steps}},
        )
        assert created.status_code == 201, created.text
        workflow_id = created.json()["id"]
        assert (await stack.api.post(f"/v1/workflows/{workflow_id}/activate")).status_code == 200
        handle = stack.client.get_schedule_handle(f"relay:{stack.tenant_id}:{workflow_id}")
        description = await handle.describe()
        assert description.schedule.spec.time_zone_name == "UTC"
        await handle.trigger()  # Monday 09:00 is now
        runs: list[dict[str, Any]] = []

        async def ran() -> bool:
            nonlocal runs
            page = await stack.api.get("/v1/runs", params={"workflow_id": workflow_id})
            runs = page.json()["items"]
            return bool(runs) and finished(runs[0])

        await eventually(ran)
    assert runs[0]["status"] == "completed"
    (sent,) = stack.smtp.messages
    assert sent.rcpt_tos == ["ceo@example.com", "ops@example.com"]
    assert "Revenue: 1200" in sent.message.get_content()
    assert erp.requests[0].path.startswith("/api/reports/weekly")


async def test_scheduling_a_workflow_needs_at_least_one_active_action(stack: Stack) -> None:
    inactive = {**THANKS, "actions": [{**THANKS["actions"][0], "is_active": False}]}
    for document in (inactive, {**THANKS, "actions": []}):
        body = problem(await stack.api.post("/v1/workflows", json=document), 422)
        assert body["errors"] == [
            {"path": "actions", "message": "a workflow needs at least one active action"}
        ]


async def test_scheduling_event_types_must_name_stored_event_types(stack: Stack) -> None:
    document = {**THANKS, "event_types": ["demo-call", "Intro", "nope"]}
    assert (await _validated(stack, document))["valid"] is True  # none stored: nothing to check
    for record in ({"id": "et_1", "data": {"slug": "demo-call", "name": "Demo call"}},
                   {"id": "et_2", "data": {"slug": "intro", "name": "Intro"}}):  # fmt: skip
        stored = await stack.api.post("/v1/records/event_type", json=record)
        assert stored.status_code == 201, stored.text
    body = await _validated(stack, document)
    assert body["errors"] == [
        {"path": "event_types[2]",
         "message": "no stored event_type has the id, slug or name 'nope'"}
    ]  # fmt: skip
