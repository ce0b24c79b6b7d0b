"""Warnings for names no context provides: each with a warning and a quiet example."""

from typing import Any

import pytest

from definitions.loading import check_definition
from definitions.scope import template_references


def steps(*items: dict[str, Any], trigger: Any = None) -> dict[str, Any]:
    return {"name": "n", "trigger": trigger or {"event": "lead.created"}, "steps": list(items)}


def email(body: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "mail",
        "type": "send_email",
        "to": "a@example.com",
        "subject": "s",
        "body": body,
    } | extra


def warnings(document: dict[str, Any]) -> list[tuple[str, str]]:
    report = check_definition(document)
    assert report.errors == [], report.errors
    return [(w.path, w.message) for w in report.warnings]


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("Hi {{ name }}", {("name", None)}),
        ("{{ steps.fetch.output.id }}", {("steps", "fetch")}),
        ("{{ steps['fetch'].output }}", {("steps", "fetch")}),
        ("{{ vars.total + 1 }}", {("vars", "total")}),
        ("{{ steps[key] }}", {("steps", None), ("key", None)}),
        ("{% for x in items %}{{ x }} {{ loop.index }}{% endfor %}", {("items", None)}),
        ("{% set y = 2 %}{{ y }}", set()),
        ("{{ broken", set()),
        ("no template", set()),
    ],
)
def test_template_references(source, names):
    assert template_references(source) == names


# --------------------------------------------------------------------------- steps.<id>


def test_steps_of_an_unknown_id_warns():
    assert warnings(steps(email("{{ steps.fetch.output }}"))) == [
        ("steps[0].body", "steps.fetch: no step has the id 'fetch'")
    ]


def test_steps_of_a_known_id_is_quiet():
    hook = {"id": "fetch", "type": "http_request", "url": "https://api.example.com/x"}
    assert warnings(steps(hook, email("{{ steps.fetch.output.body }}"))) == []


def test_a_condition_field_on_an_unknown_step_warns_at_the_condition():
    condition = {"field": "steps.fetch.output.status", "operator": "eq", "value": 200}
    assert warnings(steps(email("hi", when=condition))) == [
        ("steps[0].when", "steps.fetch: no step has the id 'fetch'")
    ]


# --------------------------------------------------------------------------- vars.<name>


def test_vars_nothing_sets_warns():
    assert warnings(steps(email("{{ vars.total }}"))) == [
        ("steps[0].body", "vars.total is never set: no set step or output names it")
    ]


@pytest.mark.parametrize(
    "setter",
    [
        {"id": "calc", "type": "set", "values": {"total": "{{ 1 + 2 }}"}},
        {"id": "calc", "type": "set", "name": "total", "value": 3},
        {"id": "calc", "type": "http_request", "url": "https://x.example.com", "output": "total"},
    ],
    ids=["set values", "flat set", "output"],
)
def test_vars_a_step_sets_are_quiet(setter):
    assert warnings(steps(setter, email("{{ vars.total }} {{ total }}"))) == []


# --------------------------------------------------------------------------- loops


def loop(body: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {
        "id": "each",
        "type": "for_each",
        "items": "{{ invoices }}",
        "as": "invoice",
        "body": body,
    } | extra


def test_loop_variables_inside_the_body_are_quiet():
    inner = email("{{ invoice.number }} ({{ loop.index }} of {{ loop.length }})")
    assert warnings(steps(loop([inner]))) == []


def test_loop_variables_in_nested_bodies_are_quiet():
    inner = loop(
        [email("{{ invoice.id }} {{ line.sku }}")],
        id="lines",
        items="{{ invoice.lines }}",
        **{"as": "line"},
    )
    assert warnings(steps(loop([inner]))) == []


def test_loop_variables_after_the_loop_warn():
    after = email("{{ invoice.number }} {{ loop.index }}", id="after")
    assert warnings(steps(loop([email("{{ invoice.number }}")]), after)) == [
        (
            "steps[1].body",
            "'invoice' is the item variable of loop 'each': it has no value outside it",
        ),
        ("steps[1].body", "'loop' only has a value inside a for_each body"),
    ]


def test_loop_variables_in_a_graph_follow_the_body_edges():
    document = {
        "name": "n",
        "trigger": {"event": "batch.ready"},
        "nodes": [
            {"id": "each", "type": "for_each", "items": "{{ rows }}", "as": "row"},
            {
                "id": "inner",
                "type": "send_sms",
                "to": "{{ row.phone }}",
                "body": "{{ loop.index }}",
            },
            {"id": "outer", "type": "send_sms", "to": "{{ row.phone }}", "body": "done"},
        ],
        "edges": [
            {"from": "each", "to": "inner", "when": "body"},
            {"from": "each", "to": "outer"},
        ],
    }
    assert warnings(document) == [
        ("nodes[2].to", "'row' is the item variable of loop 'each': it has no value outside it")
    ]


# --------------------------------------------------------------------------- the trigger


def test_the_trigger_cannot_read_steps_or_vars():
    trigger = {"event": "lead.created", "entity": "{{ steps.a.output }}"}
    assert warnings(steps(email("hi"), trigger=trigger)) == [
        ("trigger.entity", "steps.a: the trigger is read before any step runs")
    ]


def test_event_fields_and_engine_names_are_quiet():
    body = (
        "{{ invitee_email }} {{ event.data.x }} {{ previous.stage }} {{ workflow.name }} "
        "{{ run.id }} {{ now }} {{ today + 2 }} {{ secrets.API_KEY }} {{ range(3) | list }}"
    )
    assert warnings(steps(email(body))) == []
    manual = {"type": "manual"}  # a manual run's input is its event data: any name may be there
    assert warnings(steps(email("{{ anything }}"), trigger=manual)) == []


def test_warnings_are_reported_once_per_place_in_a_stable_order():
    body = "{{ vars.b }} {{ vars.a }} {{ vars.b }} {{ steps.z }}"
    assert [message for _, message in warnings(steps(email(body)))] == [
        "steps.z: no step has the id 'z'",
        "vars.a is never set: no set step or output names it",
        "vars.b is never set: no set step or output names it",
    ]


def test_a_document_with_errors_still_gets_its_warnings():
    report = check_definition(steps(email("{{ vars.x }}", retry={"max_attempts": 0})))
    assert [p.path for p in report.errors] == ["steps[0].retry.max_attempts"]
    assert report.valid is False
    # retry failed in normalisation, so the graph was never built: no warnings to give.
    assert report.warnings == []
    report = check_definition(steps(email("{{ vars.x }}", on_error="nowhere")))
    assert [p.path for p in report.errors] == ["steps[0].on_error"]
    assert [p.path for p in report.warnings] == ["steps[0].body"]


def test_a_trigger_without_data_warns_about_every_unknown_name():
    document = steps(
        email("{{ customer_name }} {{ now }} {{ scheduled_at }}"),
        trigger={"type": "schedule", "cron": "0 9 * * *"},
    )
    report = check_definition(document)
    assert report.errors == []
    assert [(w.path, w.message) for w in report.warnings] == [
        (
            "steps[0].body",
            "no context provides 'customer_name': a schedule trigger has no event data, "
            "and no step sets it",
        )
    ]


def test_with_the_event_types_fields_a_name_it_lacks_is_a_warning_with_the_closest_one() -> None:
    from definitions.catalog.builtins import builtin_event_type

    document = {"name": "n", "trigger": "booking_created", "actions": [
        {"action_type": "send_email", "recipient": "invitee", "subject": "Hi {{ invitee_nmae }}",
         "message": "{{ start_time }} {{ booking_hour }} {{ zzz }}"}]}  # fmt: skip
    report = check_definition(document, builtin_event_type)
    assert [(w.path, w.message) for w in report.warnings] == [
        ("actions[0].subject", "no context provides 'invitee_nmae': the event has no such field; "
         "did you mean 'invitee_name'?"),
        ("actions[0].message", "no context provides 'zzz': the event has no such field"),
    ]  # fmt: skip
    assert check_definition(document).warnings == []  # without its catalog, any name may be data
