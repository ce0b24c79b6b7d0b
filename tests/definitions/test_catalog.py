"""The event catalog: entries, data checks, derived fields, roles, and trigger options."""

from __future__ import annotations

from typing import Any

import pytest

from definitions.actions import prepare_action_config
from definitions.catalog import (
    EventTypeSpec,
    data_problems,
    derive,
    derived_kinds,
    parse_event_type,
    role_addresses,
)
from definitions.catalog.builtins import BUILTINS, builtin_event_type
from definitions.context import build_context
from definitions.errors import DefinitionError, Problem
from definitions.loading import check_definition, load_definition
from definitions.trigger_options import event_patterns, pattern_matches, pattern_problem


def _event(data: dict[str, Any], event_type: str = "booking.created") -> dict[str, Any]:
    return {
        "type": event_type,
        "id": "evt_1",
        "occurred_at": "2026-03-01T00:00:00+00:00",
        "entity": None,
        "data": data,
    }


def _problems(document: Any, event_type: str | None = None) -> list[Problem]:
    with pytest.raises(DefinitionError) as caught:
        parse_event_type(document, event_type)
    return caught.value.problems


# --------------------------------------------------------------------------- entries


def test_an_entry_with_an_invalid_schema_is_refused_at_the_schema_path() -> None:
    problems = _problems(
        {"type": "order.placed", "schema": {"type": "object", "properties": {"a": {"type": 5}}}}
    )
    assert [p.path for p in problems] == ["schema.properties.a.type"]
    assert "not a valid JSON Schema" in problems[0].message


def test_an_entry_refuses_a_non_object_schema_bad_templates_and_unknown_roles() -> None:
    problems = _problems(
        {
            "schema": {"type": "array"},
            "derived": {"x": "{{ a", "event": "{{ 1 }}"},
            "roles": {"boss": "{{ boss_email }}"},
        },
        "order.placed",
    )
    assert {p.path for p in problems} == {"schema.type", "derived.x", "derived.event", "roles.boss"}


def test_the_url_type_wins_over_the_documents_own() -> None:
    assert parse_event_type({"type": "a.b"}, "c.d").type == "c.d"


def test_unknown_keys_are_refused_with_their_path() -> None:
    assert [p.path for p in _problems({"type": "a.b", "shcema": {}})] == ["shcema"]


def test_data_problems_name_every_violation_with_its_path() -> None:
    spec = parse_event_type(
        {
            "type": "order.placed",
            "schema": {
                "type": "object",
                "properties": {
                    "total": {"type": "number"},
                    "items": {"type": "array", "items": {"type": "object", "required": ["sku"]}},
                },
                "required": ["total"],
            },
        }
    )
    problems = data_problems(spec, {"items": [{"sku": "a"}, {}]})
    assert [p.path for p in problems] == ["data", "data.items[1]"]
    assert "'total' is a required property" in problems[0].message
    assert data_problems(spec, {"total": 3, "items": []}) == []


def test_a_type_without_schema_accepts_any_data() -> None:
    assert data_problems(None, {"anything": [1, 2]}) == []
    assert data_problems(EventTypeSpec(type="x.y"), {"anything": 1}) == []


# --------------------------------------------------------------------------- built-ins


@pytest.mark.parametrize(
    "event_type",
    [
        "booking.created", "booking.rescheduled", "booking.cancelled", "booking.completed",
        "appointment.created", "lead.created", "contact.created", "deal.stage_changed",
        "account.created", "invoice.overdue", "payment.received", "customer.created",
        "project.status_changed", "ticket.created", "form.submitted", "email.opened",
        "page.visited", "score.threshold_reached",
    ],
)  # fmt: skip
def test_the_reference_documents_event_families_are_built_in(event_type: str) -> None:
    spec = builtin_event_type(event_type)
    assert spec is not None and spec.builtin
    assert spec.schema_ is not None


def test_every_built_in_entry_is_itself_a_valid_entry() -> None:
    for spec in BUILTINS:
        assert parse_event_type(spec.public()).type == spec.type


def test_built_in_schemas_refuse_only_what_is_certainly_wrong() -> None:
    booking = builtin_event_type("booking.created")
    assert data_problems(booking, {"invitee_email": "a@b.co", "custom_field": [1]}) == []
    assert [p.path for p in data_problems(booking, {"invitee_email": 5})] == ["data.invitee_email"]


@pytest.mark.parametrize(
    ("start", "hour", "weekend", "business"),
    [
        ("2026-03-09T10:30:00Z", 10, False, True),  # a Monday morning
        ("2026-03-09T18:00:00Z", 18, False, False),
        ("2026-03-07T10:30:00Z", 10, True, False),  # a Saturday
    ],
)
def test_booking_derived_fields(start: str, hour: int, weekend: bool, business: bool) -> None:
    spec = builtin_event_type("booking.created")
    derived = derive(spec, _event({"start_time": start, "invitee_email": "ann@acme.io"}))
    assert derived["booking_hour"] == hour
    assert derived["is_weekend"] is weekend
    assert derived["is_business_hours"] is business
    assert derived["invitee_domain"] == "acme.io"


def test_derived_fields_of_missing_data_are_left_out() -> None:
    derived = derive(builtin_event_type("booking.created"), _event({}))
    assert "booking_hour" not in derived and "invitee_domain" not in derived


def test_roles_render_to_addresses() -> None:
    spec = parse_event_type(
        {"type": "a.b", "roles": {"organizer": ["{{ owner }}", "ops@x.io"], "invitee": "{{ c }}"}}
    )
    assert role_addresses(spec, _event({"owner": "o@x.io"})) == {
        "organizer": ["o@x.io", "ops@x.io"],
        "invitee": [],
    }


# --------------------------------------------------------------------------- the run context


def test_derived_fields_are_in_the_context_and_the_datas_own_fields_win() -> None:
    trigger = {**_event({"booking_hour": 7}), "derived": {"booking_hour": 9, "is_weekend": True}}
    context = build_context(trigger, workflow={}, run={})
    assert (context["booking_hour"], context["is_weekend"]) == (7, True)


def test_a_trigger_without_catalog_additions_builds_the_context_as_before() -> None:
    context = build_context(_event({"a": 1}), workflow={}, run={})
    assert set(context["event"]) == {"type", "id", "occurred_at", "entity", "data"}


def test_send_email_recipients_resolve_through_the_catalogs_roles() -> None:
    trigger = {**_event({"host": "h@x.io"}), "roles": {"organizer": ["h@x.io"], "invitee": []}}
    context = build_context({**trigger, "data": {**trigger["data"], "invitee_email": "i@x.io"}},
                            workflow={}, run={})  # fmt: skip
    config = {"recipient": "both", "subject": "s", "body": "b"}
    # organizer from the catalog; invitee is empty there, so nobody — not the field fallback
    assert prepare_action_config("send_email", config, context)["to"] == ["h@x.io"]
    roles_only_organizer = {**trigger, "roles": {"organizer": ["h@x.io"]}}
    context = build_context(
        {**roles_only_organizer, "data": {"invitee_email": "i@x.io"}}, workflow={}, run={}
    )
    # a role the catalog does not define reads the scheduling document's field
    assert prepare_action_config("send_email", config, context)["to"] == ["h@x.io", "i@x.io"]


# --------------------------------------------------------------------------- trigger options


def test_an_event_type_matches_itself_and_the_globs_covering_it() -> None:
    assert set(event_patterns("deal.stage.changed")) == {
        "deal.stage.changed", "*", "deal.*", "deal.stage.*", "*.changed", "*.stage.changed",
    }  # fmt: skip
    assert pattern_matches("*.created", "booking.created")
    assert not pattern_matches("deal.*", "dealer.created")


@pytest.mark.parametrize("pattern", ["de*", "deal.*.won", "*.*", "**"])
def test_unsupported_globs_are_named(pattern: str) -> None:
    assert pattern_problem(pattern) is not None


def _definition(**trigger: Any) -> dict[str, Any]:
    return {
        "name": "n",
        "trigger": {"type": "event", "event": "booking.created", **trigger},
        "steps": [{"id": "w", "type": "wait", "duration": "1h"}],
    }


@pytest.mark.parametrize(
    ("trigger", "path"),
    [
        ({"event": "boo*"}, "trigger.event"),
        ({"reenroll": "twice"}, "trigger.reenroll"),
        ({"reenroll": {"after": "soon"}}, "trigger.reenroll.after"),
        ({"reenroll": {"after": "-1d"}}, "trigger.reenroll.after"),
        ({"dedupe_key": "{{ a"}, "trigger.dedupe_key"),
        ({"cancel_on": ["booking.*", "x*"]}, "trigger.cancel_on[1]"),
    ],
)
def test_trigger_options_are_validated(trigger: dict[str, Any], path: str) -> None:
    report = check_definition(_definition(**trigger))
    assert [p.path for p in report.errors] == [path]


def test_valid_trigger_options_load() -> None:
    definition = load_definition(
        _definition(event="booking.*", reenroll={"after": "P30D"}, dedupe_key="{{ booking_id }}")
    )
    assert definition.trigger.event == "booking.*"


def test_condition_fields_are_checked_against_the_event_types_schema() -> None:
    document = _definition(
        filter={
            "and": [
                {"field": "invitee_emial", "operator": "eq", "value": "x"},
                {"field": "attendee_count", "operator": "contains", "value": "x"},
                {"field": "is_weekend", "operator": "eq", "value": True},
                {"field": "event.data.booking_id", "operator": "exists"},
            ]
        }
    )
    report = check_definition(document, builtin_event_type)
    assert report.valid
    assert [(w.path, w.message) for w in report.warnings] == [
        (
            "trigger.filter.and[0].field",
            "'invitee_emial' is not a field of booking.created events (per its schema)",
        ),
        ("trigger.filter.and[1].field", "'attendee_count' is integer: contains compares text"),
    ]
    assert check_definition(document).warnings == []  # without a catalog: nothing to say


def test_derived_fields_have_the_kind_of_what_they_give_for_the_sample_data() -> None:
    booking = builtin_event_type("booking.created")
    assert booking is not None
    assert derived_kinds(booking) == {
        "invitee_domain": "text", "has_phone": "bool", "has_meeting_link": "bool",
        "booking_hour": "number", "booking_day_of_week": "text", "booking_date": "instant",
        "is_weekend": "bool", "is_business_hours": "bool",
    }  # fmt: skip
    # A field that gives nothing for the sample (no data to read) has no kind to tell.
    untyped = EventTypeSpec(type="x.y", derived={"domain": "{{ email | domain }}"})
    assert derived_kinds(untyped) == {}
