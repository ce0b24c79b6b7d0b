"""Schedule and date-relative triggers: how they are written, normalised and refused."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

import pytest

from definitions.errors import DefinitionError
from definitions.loading import check_definition, load_definition
from definitions.schedules import calendar_ranges, next_anniversary

EMAIL = {"id": "e", "type": "send_email", "to": "a@example.com", "subject": "s", "body": "b"}


def document(trigger: Any) -> dict[str, Any]:
    return {"name": "n", "trigger": trigger, "steps": [EMAIL]}


def errors(trigger: Any) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in check_definition(document(trigger)).errors]


def canonical_trigger(trigger: Any) -> dict[str, Any]:
    result: dict[str, Any] = load_definition(document(trigger)).canonical()["trigger"]
    return result


@pytest.mark.parametrize(
    "trigger",
    [
        {"type": "schedule", "cron": "0 9 * * MON", "timezone": "Europe/Berlin"},
        {"type": "schedule", "cron": "*/15 9-17 1,15 JAN-MAR 1-5"},
        {"type": "schedule", "config": {"cron": "@daily"}},  # the ERP document's shape
        {"type": "schedule", "every": "PT1H", "offset": "15m", "overlap": "allow_all"},
        {"type": "schedule", "calendar": {"hour": 9, "day_of_week": "MON-FRI"}},
        {"type": "schedule", "calendar": [{"hour": [9, 17]}, {"day_of_month": 1, "hour": 8}]},
        {"trigger_type": "schedule", "cron": "0 9 * * 1"},
    ],
)
def test_schedule_triggers_load(trigger):
    assert check_definition(document(trigger)).valid


@pytest.mark.parametrize(
    ("trigger", "path", "fragment"),
    [
        ({"type": "schedule", "cron": "0 9 * * MONDAY"}, "trigger.cron", "day-of-week"),
        ({"type": "schedule", "cron": "0 9 * *"}, "trigger.cron", "5 fields"),
        ({"type": "schedule", "cron": "61 * * * *"}, "trigger.cron", "out of range"),
        ({"type": "schedule", "cron": "@fortnightly"}, "trigger.cron", "unknown cron macro"),
        (
            {"type": "schedule", "config": {"cron": "0 25 * * *"}},
            "trigger.config.cron",
            "out of range",
        ),
        (
            {"type": "schedule", "cron": "0 9 * * *", "timezone": "Mars/Olympus"},
            "trigger.timezone",
            "unknown time zone",
        ),
        ({"type": "schedule", "every": "0.5s"}, "trigger.every", "at least 1 second"),
        ({"type": "schedule", "every": "soon"}, "trigger.every", "duration"),
        ({"type": "schedule", "calendar": {"hour": 24}}, "trigger.calendar", "out of range"),
        ({"type": "schedule", "calendar": {"hours": 9}}, "trigger.calendar", "unknown calendar"),
        (
            {"type": "schedule", "every": "1h", "overlap": "queue"},
            "trigger.overlap",
            "overlap is one of",
        ),
        ({"type": "schedule"}, "trigger.type", "needs cron, every or calendar"),
    ],
)
def test_invalid_schedules_are_refused_at_their_path(trigger, path, fragment):
    ((where, message),) = errors(trigger)
    assert where == path
    assert fragment in message


def test_calendar_fields_become_temporal_ranges():
    assert calendar_ranges({"hour": 9, "minute": "*/15", "day_of_week": ["MON", "FRI"]}) == {
        "hour": [(9, 9, 1)],
        "minute": [(0, 59, 15)],
        "day_of_week": [(1, 1, 1), (5, 5, 1)],
    }


@pytest.mark.parametrize(
    ("trigger", "start"),
    [
        (
            {"event": "booking.created", "start": {"before": "PT24H", "field": "start_time"}},
            {"until": "{{ start_time }}", "offset": "-PT24H"},
        ),
        (
            {"event": "booking.created", "start": {"before": "24h", "field": "data.start_time"}},
            {"until": "{{ event.data.start_time }}", "offset": "-24h"},
        ),
        (
            {"event": "meeting.completed", "start": {"after": {"hours": 1}, "field": "end_time"}},
            {"until": "{{ end_time }}", "offset": {"hours": 1}},
        ),
        (  # the shorthand: the trigger's type says it
            {"type": "before", "event": "booking.created", "field": "start_time", "offset": 3600,
             "if_past": "skip"},
            {"until": "{{ start_time }}", "offset": -3600, "if_past": "skip"},
        ),
        (
            {"type": "anniversary", "event": "contact.created", "field": "birthday"},
            {"anniversary": "{{ birthday }}"},
        ),
        (
            {"event": "contact.created", "start": {"anniversary": "birthday", "at": "10:30"}},
            {"anniversary": "{{ birthday }}", "at": "10:30"},
        ),
        ({"event": "lead.created", "delay": "2h"}, {"duration": "2h"}),
    ],
)  # fmt: skip
def test_date_relative_triggers_become_a_leading_wait(trigger, start):
    result = canonical_trigger(trigger)
    assert result["type"] == "event"
    assert result["start"] == start
    # The canonical form normalises to itself (stored versions are loaded again).
    again = load_definition(load_definition(document(trigger)).canonical())
    assert again.trigger.start == start


@pytest.mark.parametrize(
    ("trigger", "path"),
    [
        ({"event": "b.c", "start": {"before": "a while", "field": "t"}}, "trigger.start.before"),
        ({"event": "b.c", "start": {"after": "1h", "field": "{{ t"}}, "trigger.start.field"),
        ({"event": "b.c", "delay": "2 fortnights"}, "trigger.delay"),
        (
            {"event": "b.c", "start": {"before": "1h", "field": "t", "if_past": "later"}},
            "trigger.start.if_past",
        ),
        ({"event": "b.c", "start": {"anniversary": "d", "at": "25:00"}}, "trigger.start.at"),
        ({"event": "b.c", "start": {"soon": True}}, "trigger.start"),
    ],
)
def test_invalid_date_relative_triggers_are_refused_at_their_path(trigger, path):
    assert [p for p, _ in errors(trigger)] == [path]


def test_reschedule_on_must_list_event_types():
    wait: dict[str, Any] = {"id": "w", "type": "wait", "until": "{{ t }}"}
    wait["reschedule_on"] = "booking.moved"
    report = check_definition({"name": "n", "trigger": "booking.created", "steps": [wait]})
    assert [p.path for p in report.errors] == ["steps[0].reschedule_on"]
    wait["reschedule_on"] = ["booking.rescheduled"]
    assert check_definition({"name": "n", "trigger": "booking.created", "steps": [wait]}).valid


@pytest.mark.parametrize(
    ("birthday", "now", "expected"),
    [
        ("1990-05-17", "2026-01-01T00:00:00+00:00", "2026-05-17T09:00:00+00:00"),
        ("1990-05-17", "2026-05-17T09:00:00+00:00", "2027-05-17T09:00:00+00:00"),
        ("1990-05-17T23:00:00Z", "2026-06-01T00:00:00+00:00", "2027-05-17T09:00:00+00:00"),
        ("2000-02-29", "2026-01-01T00:00:00+00:00", "2026-02-28T09:00:00+00:00"),
        ("2000-02-29", "2027-03-01T00:00:00+00:00", "2028-02-29T09:00:00+00:00"),
    ],
)
def test_next_anniversary(birthday, now, expected):
    after = datetime.fromisoformat(now)
    assert next_anniversary(birthday, after) == datetime.fromisoformat(expected)


def test_next_anniversary_in_a_time_zone():
    after = datetime(2026, 1, 1, tzinfo=UTC)
    # 09:00 in Berlin in summer is 07:00 UTC.
    expected = datetime(2026, 7, 1, 7, tzinfo=UTC)
    assert next_anniversary("1980-07-01", after, time(9), "Europe/Berlin") == expected


# --------------------------------------------------------------------------- the scheduling document


REMIND = {"action_type": "send_email", "recipient": "invitee", "subject": "s", "message": "m"}


@pytest.mark.parametrize(
    ("trigger", "minutes", "start"),
    [
        ("before_meeting", 1440, {"until": "{{ start_time }}", "offset": {"minutes": -1440}}),
        ("after_meeting", 60, {"until": "{{ end_time }}", "offset": {"minutes": 60}}),
        ("before_meeting", None, {"until": "{{ start_time }}", "offset": {"minutes": 0}}),
        ("booking_created", 30, {"duration": {"minutes": 30}}),
    ],
)
def test_scheduling_delay_minutes_is_relative_to_the_meeting_or_the_trigger(
    trigger: str, minutes: int | None, start: dict[str, Any]
) -> None:
    document: dict[str, Any] = {"name": "n", "trigger": trigger, "actions": [REMIND]}
    if minutes is not None:
        document["delay_minutes"] = minutes
    definition = load_definition(document)
    assert (definition.trigger.event, definition.trigger.start) == ("booking.created", start)
    meeting = trigger != "booking_created"
    assert definition.trigger.cancel_on == (["booking.cancelled"] if meeting else [])


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        ("booking_created", "a delay cannot be negative"),
        (
            "before_meeting",
            "delay_minutes counts the minutes before the start of the meeting: give it positive",
        ),
    ],
)
def test_a_negative_delay_minutes_is_refused_at_its_path(trigger: str, message: str) -> None:
    document = {"name": "n", "trigger": trigger, "delay_minutes": -30, "actions": [REMIND]}
    with pytest.raises(DefinitionError) as caught:
        load_definition(document)
    assert [(p.path, p.message) for p in caught.value.problems] == [("delay_minutes", message)]


# --------------------------------------------------------------------------- the meeting engine

MEETING_ACTION = {"subject": "Reminder", "template": "Hi {{contact.name}}, at {{appointment.start_time}}",
                  "to_email": "{{contact.email}}", "from_email": "noreply@firm.com"}  # fmt: skip


@pytest.mark.parametrize(
    ("trigger", "minutes", "start"),
    [
        ("appointment_created", -1440,
         {"until": "{{ appointment.start_time }}", "offset": {"minutes": -1440}, "if_past": "skip"}),
        ("appointment_completed", 60,
         {"until": "{{ appointment.end_time }}", "offset": {"minutes": 60}, "if_past": "skip"}),
        ("appointment_created", 30, {"duration": {"minutes": 30}}),
        ("appointment_confirmed", 0, None),
    ],
)  # fmt: skip
def test_a_meeting_workflow_is_one_action_after_its_delay_minutes(
    trigger: str, minutes: int, start: dict[str, Any] | None
) -> None:
    document = {"name": "24-Hour Reminder", "trigger": trigger, "delay_minutes": minutes,
                "action_type": "send_email", "action_config": MEETING_ACTION}  # fmt: skip
    definition = load_definition(document)
    assert definition.trigger.start == start
    assert definition.trigger.cancel_on == ["appointment.cancelled"]
    (action,) = definition.nodes
    assert (action.type, action.config["to"], action.config["from"]) == (
        "send_email", "{{contact.email}}", "noreply@firm.com",
    )  # fmt: skip
    assert action.config["body"].startswith("Hi {{contact.name}}")


def test_a_meeting_workflow_points_at_its_own_keys() -> None:
    document = {"name": "n", "trigger": "appointment_created", "action_type": "send_emial",
                "action_config": {"subject": "s"}}  # fmt: skip
    with pytest.raises(DefinitionError) as caught:
        load_definition(document)
    assert [p.path for p in caught.value.problems] == ["action_type"]
    both = {**document, "action_type": "send_email", "steps": []}
    with pytest.raises(DefinitionError) as caught:
        load_definition(both)
    assert [p.path for p in caught.value.problems] == ["action_type"]


def test_scheduling_event_types_join_the_trigger_filter_by_id_slug_or_name() -> None:
    typed = {"or": [{"field": f, "operator": "in", "value": ["demo", "42"], "ignore_case": False}
                    for f in ("event_type_id", "event_type_slug", "event_type_name")]}  # fmt: skip
    document = {"name": "n", "trigger": "booking_created", "event_types": ["demo", 42],
                "actions": [REMIND]}  # fmt: skip
    assert load_definition(document).trigger.filter == typed
    before = {**document, "trigger": "before_meeting"}
    assert load_definition(before).trigger.filter == typed


@pytest.mark.parametrize(
    ("trigger", "event_types", "message"),
    [
        ("lead_created", ["demo"], "event_types filters booking triggers only"),
        ("booking_created", [], "event_types lists event types by id, slug or name (at least one)"),
        ("booking_created", "demo", "event_types lists event types by id, slug or name (at least one)"),
    ],
)  # fmt: skip
def test_event_types_that_cannot_filter_are_refused_at_their_path(
    trigger: str, event_types: Any, message: str
) -> None:
    document = {"name": "n", "trigger": trigger, "event_types": event_types, "actions": [REMIND]}
    with pytest.raises(DefinitionError) as caught:
        load_definition(document)
    assert [(p.path, p.message) for p in caught.value.problems] == [("event_types", message)]
