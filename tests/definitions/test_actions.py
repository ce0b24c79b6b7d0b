"""Action configuration as the activity receives it: rendered, roles resolved."""

from __future__ import annotations

from definitions.actions import prepare_action_config

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
