"""Booking templates: the meeting engine's three workflows ("Usage Examples") and the
scheduling app's follow-up and feedback categories (its WorkflowTemplate)."""

from __future__ import annotations

from typing import Any

_APPOINTMENT = {
    "appointment": {"id": "ap_1", "start_time": "2027-01-15T14:00:00Z",
                    "end_time": "2027-01-15T14:30:00Z", "location_details": "Room 4, 2nd floor"},
    "contact": {"name": "Ann Lee", "email": "ann@example.com"},
    "staff": {"name": "Dr. Who"},
    "firm": {"name": "Acme Clinic"},
}  # fmt: skip

_BOOKING = {
    "booking_id": "bk_1", "event_type_name": "Discovery Call", "start_time": "2027-01-15T14:00:00Z",
    "invitee_name": "Ann Lee", "invitee_email": "ann@example.com",
    "organizer_name": "Bo Chen", "organizer_email": "bo@example.com",
    "feedback_url": "https://book.example.com/feedback/bk_1",
}  # fmt: skip

APPOINTMENT_REMINDER: dict[str, Any] = {
    "id": "appointment_reminder_24h",
    "category": "reminder",
    "definition": {
        "name": "24-hour appointment reminder",
        "description": "Email the contact 24 hours before the appointment (skipped when booked "
        "less than a day ahead); cancelling the appointment cancels the reminder.",
        "trigger": {"type": "event", "event": "appointment.created",
                    "entity": "{{ appointment.id }}", "cancel_on": ["appointment.cancelled"]},
        "steps": [
            {"id": "day_before", "type": "wait", "until": "{{ appointment.start_time }}",
             "offset": "-24h", "if_past": "skip"},
            {"id": "remind", "type": "send_email", "to": "{{ contact.email }}",
             "subject": "Appointment tomorrow",
             "body": "Hi {{ contact.name }},\n\nThis is a reminder that you have an appointment "
                     "tomorrow at {{ appointment.start_time | date('%H:%M') }}.\n\nLocation: "
                     "{{ appointment.location_details }}\n\nLooking forward to speaking with "
                     "you!\n\n{{ staff.name }}"},
        ],
    },
    "data": _APPOINTMENT,
}  # fmt: skip

APPOINTMENT_THANK_YOU: dict[str, Any] = {
    "id": "appointment_thank_you",
    "category": "follow_up",
    "definition": {
        "name": "Appointment thank you",
        "description": "Thank the contact by email one hour after the appointment ends.",
        "trigger": {"type": "event", "event": "appointment.completed",
                    "entity": "{{ appointment.id }}"},
        "steps": [
            {"id": "after_end", "type": "wait", "until": "{{ appointment.end_time }}",
             "offset": "1h"},
            {"id": "thank", "type": "send_email", "to": "{{ contact.email }}",
             "subject": "Thank you for your time",
             "body": "Hi {{ contact.name }},\n\nThank you for meeting with me today. I've "
                     "attached the materials we discussed.\n\nPlease let me know if you have any "
                     "questions!\n\nBest regards,\n{{ staff.name }}"},
        ],
    },
    "data": _APPOINTMENT,
}  # fmt: skip

APPOINTMENT_CONFIRMATION: dict[str, Any] = {
    "id": "appointment_confirmation",
    "category": "booking",
    "definition": {
        "name": "Appointment confirmation",
        "description": "Email the contact as soon as the appointment is confirmed.",
        "trigger": {"type": "event", "event": "appointment.confirmed",
                    "entity": "{{ appointment.id }}"},
        "steps": [
            {"id": "confirm", "type": "send_email", "to": "{{ contact.email }}",
             "subject": "Your appointment is confirmed",
             "body": "Hi {{ contact.name }},\n\nYour appointment has been confirmed for "
                     "{{ appointment.start_time | date('%b %d, %H:%M') }}.\n\nWe'll send you a "
                     "reminder 24 hours before the appointment.\n\n{{ firm.name }}"},
        ],
    },
    "data": _APPOINTMENT,
}  # fmt: skip

BOOKING_FOLLOW_UP: dict[str, Any] = {
    "id": "booking_follow_up",
    "category": "follow_up",
    "definition": {
        "name": "Meeting follow-up",
        "description": "The day after a completed booking, email the invitee a follow-up from "
        "the organizer.",
        "trigger": {"type": "event", "event": "booking.completed", "entity": "{{ booking_id }}"},
        "steps": [
            {"id": "next_day", "type": "wait", "duration": "1d"},
            {"id": "follow_up", "type": "send_email", "recipient": "invitee",
             "subject": "Following up on our {{ event_type_name }}",
             "body": "Hi {{ invitee_name | default('there') }},\n\nThanks again for your time "
                     "yesterday. What would be a good next step for you?\n\n{{ organizer_name }}"},
        ],
    },
    "data": _BOOKING,
}  # fmt: skip

BOOKING_FEEDBACK: dict[str, Any] = {
    "id": "booking_feedback",
    "category": "feedback",
    "definition": {
        "name": "Meeting feedback request",
        "description": "Two hours after a completed booking, ask the invitee for feedback; if no "
        "feedback.submitted arrives for the booking within three days, remind them once.",
        "trigger": {"type": "event", "event": "booking.completed", "entity": "{{ booking_id }}"},
        "steps": [
            {"id": "settle", "type": "wait", "duration": "2h"},
            {"id": "ask", "type": "send_email", "recipient": "invitee",
             "subject": "How was your {{ event_type_name }}?",
             "body": "Hi {{ invitee_name | default('there') }},\n\nWe'd love your feedback on "
                     "your meeting with {{ organizer_name }}: {{ feedback_url }}"},
            {"id": "answered", "type": "wait_for_event", "event": "feedback.submitted",
             "timeout": "3d",
             "on_timeout": [
                 {"id": "nudge", "type": "send_email", "recipient": "invitee",
                  "subject": "A minute for your feedback?",
                  "body": "Hi {{ invitee_name | default('there') }}, it takes a minute: "
                          "{{ feedback_url }}"},
             ]},
        ],
    },
    "data": _BOOKING,
}  # fmt: skip

TEMPLATES = (
    APPOINTMENT_REMINDER, APPOINTMENT_THANK_YOU, APPOINTMENT_CONFIRMATION, BOOKING_FOLLOW_UP,
    BOOKING_FEEDBACK,
)  # fmt: skip
