"""Action configuration as the activity receives it: rendered, roles resolved."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from definitions.actions import prepare_action_config
from definitions.context import build_context
from definitions.templates import template_context_clock

BOOKING = {
    "invitee_email": "ann@example.com",
    "invitee_phone": "+15551230000",
    "organizer_email": "org@example.com",
    "invitee_name": "Ann",
}


def test_email_to_invitee_reads_the_event_address() -> None:
    config = prepare_action_config(
        "send_email", {"recipient": "invitee", "subject": "Hi {{ invitee_name }}"}, BOOKING
    )
    assert config["to"] == ["ann@example.com"]
    assert config["subject"] == "Hi Ann"


def test_email_to_both_reads_organizer_and_invitee() -> None:
    config = prepare_action_config("send_email", {"recipient": "both"}, BOOKING)
    assert config["to"] == ["org@example.com", "ann@example.com"]


def test_custom_recipient_uses_the_steps_own_address() -> None:
    config = prepare_action_config(
        "send_email", {"recipient": "custom", "custom_email": "ops@example.com"}, BOOKING
    )
    assert config["to"] == ["ops@example.com"]


def test_sms_to_invitee_reads_the_event_phone() -> None:
    assert (
        prepare_action_config("send_sms", {"recipient": "invitee"}, BOOKING)["to"] == "+15551230000"
    )


def test_explicit_to_wins_over_the_role() -> None:
    config = prepare_action_config(
        "send_email", {"to": "x@example.com", "recipient": "invitee"}, BOOKING
    )
    assert config["to"] == "x@example.com"


def test_missing_role_address_leaves_no_recipient() -> None:
    assert prepare_action_config("send_email", {"recipient": "organizer"}, {})["to"] == []


# --------------------------------------------------------------------------- the action library

SCHEDULING_CONTEXT = build_context(
    {
        "type": "booking.created",
        "id": "evt-1",
        "data": {"booking_id": "bk_1", "status": "confirmed"},
    },
    workflow={"id": "wf_1", "name": "Tell the CRM", "version": 1},
    run={"id": "run_1", "started_at": "2026-01-01T00:00:00+00:00"},
) | template_context_clock(datetime(2026, 1, 2, 9, 30, tzinfo=UTC))


def test_scheduling_webhook_preset_is_the_documents_payload_with_webhook_data_merged() -> None:
    config = prepare_action_config(
        "http_request",
        {"url": "https://crm.example.com/h", "preset": "scheduling_webhook",
         "body": {"source": "scheduler", "status": "{{ status | upper }}"}},
        SCHEDULING_CONTEXT,
        step_name="Notify CRM",
    )  # fmt: skip
    assert config["body"] == {
        "booking_id": "bk_1",
        "status": "CONFIRMED",  # webhook_data wins over the event's field
        "action": "Notify CRM",
        "workflow_id": "wf_1",
        "workflow_name": "Tell the CRM",
        "run_id": "run_1",
        "event_type": "booking.created",
        "event_id": "evt-1",
        "timestamp": "2026-01-02T09:30:00Z",
        "source": "scheduler",
    }


def test_a_stored_email_template_receives_the_context_as_plain_json_without_secrets() -> None:
    config = prepare_action_config(
        "send_email", {"to": "a@example.com", "template": "welcome"}, SCHEDULING_CONTEXT
    )
    context = config["template_context"]
    assert json.loads(json.dumps(context)) == context
    assert "secrets" not in context
    assert (context["now"], context["today"]) == ("2026-01-02T09:30:00Z", "2026-01-02")
    assert context["booking_id"] == "bk_1"
    assert "template_context" not in prepare_action_config("send_email", {"body": "x"}, {})
