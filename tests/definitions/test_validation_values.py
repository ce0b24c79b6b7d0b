"""Literal values judged before any run: each rule with a failing and a passing example."""

from typing import Any

import pytest

from definitions.errors import DefinitionError
from definitions.loading import check_definition, load_definition

SAMPLE = {"lead": {"score": 80, "tier": "gold", "vip": True, "signed_at": "2030-01-02T10:00:00Z"}}


def flow(condition: dict[str, Any], **trigger: Any) -> dict[str, Any]:
    return {
        "name": "n",
        "trigger": {"event": "lead.created", **trigger},
        "steps": [{"id": "c", "type": "condition", "condition": condition,
                   "then": [{"id": "s", "type": "stop"}]}],
    }  # fmt: skip


def warnings(document: dict[str, Any]) -> list[tuple[str, str]]:
    report = check_definition(document)
    assert report.errors == []
    return [(w.path, w.message) for w in report.warnings]


# --------------------------------------------------------------------------- type mismatches


def test_a_number_field_compared_with_text_is_flagged_with_the_samples_type():
    document = flow(
        {"field": "lead.score", "operator": "greater_than", "value": "high"}, sample=SAMPLE
    )
    assert warnings(document) == [
        ("steps[0].condition.value",
         "lead.score is a number in the trigger's sample data, and 'high' is text: gt between "
         "them is never true"),
    ]  # fmt: skip
    assert (
        warnings(flow({"field": "lead.score", "operator": "gt", "value": "50"}, sample=SAMPLE))
        == []
    )
    assert (
        warnings(flow({"field": "lead.score", "operator": "gte", "value": 50}, sample=SAMPLE)) == []
    )


def test_a_field_typed_by_the_triggers_schema_counts_like_sample_data():
    schema = {"type": "object", "properties": {"amount": {"type": "number"}}}
    assert [p for p, _ in warnings(
        flow({"field": "amount", "operator": "eq", "value": "lots"}, schema=schema)
    )] == ["steps[0].condition.value"]  # fmt: skip
    assert warnings(flow({"field": "amount", "operator": "eq", "value": 10}, schema=schema)) == []


def test_text_compared_with_a_number_and_a_boolean_ordered_are_flagged():
    assert (
        len(warnings(flow({"field": "lead.tier", "operator": "eq", "value": 3}, sample=SAMPLE)))
        == 1
    )
    assert (
        len(warnings(flow({"field": "lead.vip", "operator": "gt", "value": 1}, sample=SAMPLE))) == 1
    )
    assert (
        warnings(flow({"field": "lead.tier", "operator": "eq", "value": "gold"}, sample=SAMPLE))
        == []
    )
    assert (
        warnings(flow({"field": "lead.vip", "operator": "eq", "value": True}, sample=SAMPLE)) == []
    )


def test_ordering_with_a_boolean_or_a_list_literal_never_holds_whatever_the_data():
    assert warnings(flow({"field": "score", "operator": "lt", "value": True})) == [
        ("steps[0].condition.value", "lt compares numbers, instants or text, not True: never true")
    ]
    assert warnings(flow({"field": "score", "operator": "lt", "value": 3})) == []


def test_before_and_after_need_an_instant():
    assert [m for _, m in warnings(flow({"field": "due", "operator": "before", "value": 5}))] == [
        "before compares instants, and 5 is not one: never true"
    ]
    assert warnings(flow({"field": "due", "operator": "before", "value": "2030-01-01"})) == []
    assert warnings(flow({"field": "due", "operator": "after", "value": "{{ today }}"})) == []
    assert len(warnings(flow({"field": "lead.signed_at", "operator": "after", "value": "2030-01-01"},
                             sample={"lead": {"signed_at": 5}}))) == 1  # fmt: skip


def test_templates_and_fields_the_sample_does_not_have_are_judged_at_run_time():
    assert (
        warnings(
            flow(
                {"field": "lead.score", "operator": "gt", "value": "{{ threshold }}"}, sample=SAMPLE
            )
        )
        == []
    )
    assert (
        warnings(flow({"field": "lead.other", "operator": "gt", "value": "high"}, sample=SAMPLE))
        == []
    )
    assert warnings(
        flow({"field": "loop.index", "operator": "eq", "value": "a"}, sample={"loop": 1})
    ) == [
        ("steps[0].condition", "'loop' only has a value inside a for_each body")
    ]  # the engine's names are not the sample's


def test_mismatches_in_guards_filters_and_switch_cases_point_at_their_value():
    document = {
        "name": "n",
        "trigger": {"event": "lead.created", "sample": SAMPLE,
                    "filter": {"field": "lead.score", "operator": "eq", "value": "x"}},
        "steps": [
            {"id": "a", "type": "stop", "when": {"and": [{"field": "lead.score", "operator": "lt", "value": "y"}]}},
        ],
    }  # fmt: skip
    assert [p for p, _ in warnings(document)] == [
        "trigger.filter.value",
        "steps[0].when.and[0].value",
    ]


# --------------------------------------------------------------------------- refused URLs


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://localhost:8080/hook", "loopback"),
        ("http://127.0.0.1/hook", "loopback"),
        ("http://2130706433/hook", "loopback"),
        ("http://169.254.169.254/latest/meta-data", "link-local"),
        ("https://10.1.2.3/api", "private"),
        ("http://[::ffff:192.168.1.1]/", "private"),
    ],
)
def test_a_literal_url_outbound_http_refuses_is_a_warning_at_its_path(url, reason):
    document = {"name": "n", "steps": [{"id": "h", "type": "webhook", "webhook_url": url}]}
    [(path, message)] = warnings(document)
    assert path == "steps[0].webhook_url"
    assert f"a {reason} address: outbound HTTP refuses it unless RELAY_OUTBOUND_ALLOW" in message


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.com/x",
        "{{ callback_url }}",
        "http://{{ host }}/x",
        "https://8.8.8.8/",
    ],
)
def test_public_and_templated_urls_pass(url):
    assert warnings({"name": "n", "steps": [{"id": "h", "type": "http_request", "url": url}]}) == []


# --------------------------------------------------------------------------- negative delays


def test_a_negative_trigger_delay_is_refused():
    document = {"name": "n", "trigger": {"event": "lead.created", "delay": "-2h"},
                "steps": [{"id": "s", "type": "stop"}]}  # fmt: skip
    with pytest.raises(DefinitionError) as caught:
        load_definition(document)
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("trigger.delay", "a delay cannot be negative")
    ]
    assert load_definition({**document, "trigger": {"event": "lead.created", "delay": "2h"}})
