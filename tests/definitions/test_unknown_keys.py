"""Nothing is dropped silently (definitions.unknown_keys): for every node type and trigger kind an
unknown key is refused at its path, a close one with "did you mean"; presentation metadata is
kept out of the way."""

from __future__ import annotations

from typing import Any

import pytest

from definitions.errors import DefinitionError
from definitions.loading import load_definition
from definitions.nodes import NODE_TYPES, REGISTRY, known_config_keys
from definitions.unknown_keys import PRESENTATION_KEYS

LEAF = {"field": "score", "operator": "gt", "value": 1}
EMAIL = {"type": "send_email", "to": "a@example.com", "subject": "Hi", "body": "Hello"}
MINIMAL: dict[str, dict[str, Any]] = {
    "send_email": EMAIL,
    "send_sms": {"type": "send_sms", "to": "+15550001111", "body": "Hi"},
    "http_request": {"type": "http_request", "url": "https://example.com/hook"},
    "slack": {"type": "slack", "url": "https://hooks.slack.com/x", "text": "Hi"},
    "activity": {"type": "activity", "activity": "charge_card"},
    "notify": {"type": "notify", "recipient": "ann@example.com", "message": "Hi"},
    "create_record": {"type": "create_record", "record_type": "task"},
    "update_record": {"type": "update_record", "record_type": "lead", "fields": {"a": 1}},
    "delete_record": {"type": "delete_record", "record_type": "lead", "record_id": "1"},
    "query_records": {"type": "query_records", "record_type": "invoice"},
    "add_tag": {"type": "add_tag", "tag": "vip"},
    "remove_tag": {"type": "remove_tag", "tag": "vip"},
    "add_to_list": {"type": "add_to_list", "list": "news"},
    "remove_from_list": {"type": "remove_from_list", "list": "news"},
    "add_note": {"type": "add_note", "note": "Called"},
    "export": {"type": "export", "record_type": "lead"},
    "condition": {"type": "condition", "condition": LEAF, "then": [EMAIL]},
    "switch": {"type": "switch", "cases": [{"name": "a", "when": LEAF, "steps": [EMAIL]}]},
    "split": {"type": "split", "variants": [{"name": "A", "steps": [EMAIL]}]},
    "wait": {"type": "wait", "duration": "1h"},
    "wait_for_event": {"type": "wait_for_event", "event": "deal.won"},
    "wait_condition": {"type": "wait_condition", "condition": LEAF},
    "for_each": {"type": "for_each", "items": "{{ xs }}", "body": [EMAIL]},
    "parallel": {"type": "parallel", "branches": [[EMAIL]]},
    "sub_workflow": {"type": "sub_workflow", "workflow_id": "wf_child"},
    "set": {"type": "set", "values": {"x": 1}},
    "goal": {"type": "goal", "condition": LEAF},
    "stop": {"type": "stop"},
}
TRIGGERS: dict[str, dict[str, Any]] = {
    "event": {"event": "lead.created"},
    "manual": {"type": "manual"},
    "webhook": {"type": "webhook"},
    "schedule": {"type": "schedule", "cron": "0 9 * * *"},
    "before": {"type": "before", "event": "booking.created", "field": "start_time",
               "offset": "24h"},
    "after": {"type": "after", "event": "booking.created", "field": "end_time", "offset": "1h"},
    "anniversary": {"type": "anniversary", "event": "contact.created", "field": "birthday"},
}  # fmt: skip
CLOSED = sorted(t for t in NODE_TYPES if known_config_keys(t) is not None)


def document(step: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"name": "n", "trigger": {"event": "lead.created"}, "steps": [step], **extra}


def problems(value: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as caught:
        load_definition(value)
    return [(p.path, p.message) for p in caught.value.problems]


def test_every_node_type_has_a_minimal_step_here_and_it_loads() -> None:
    assert set(MINIMAL) == NODE_TYPES
    for step in MINIMAL.values():
        load_definition(document({"id": "s", **step}))


@pytest.mark.parametrize("node_type", CLOSED)
def test_an_unknown_key_of_any_node_type_is_refused_at_its_path(node_type: str) -> None:
    on_the_step = document({"id": "s", **MINIMAL[node_type], "zz_unknown": 1})
    assert problems(on_the_step) == [
        ("steps[0].zz_unknown", f"a {node_type} step has no key 'zz_unknown'")
    ]
    in_config = document({"id": "s", **MINIMAL[node_type], "config": {"zz_unknown": 1}})
    assert [path for path, _ in problems(in_config)] == ["steps[0].config.zz_unknown"]


@pytest.mark.parametrize("node_type", CLOSED)
def test_a_misspelt_key_of_any_node_type_gets_the_close_known_one(node_type: str) -> None:
    declared = REGISTRY[node_type]
    key = max(declared.keys, key=len)
    misspelt = key[:-1] + ("x" if key[-1] != "x" else "y")
    found = dict(problems(document({"id": "s", **MINIMAL[node_type], misspelt: 1})))
    prefix = f"a {node_type} step has no key {misspelt!r}; did you mean '"
    assert found[f"steps[0].{misspelt}"].startswith(prefix)
    suggested = found[f"steps[0].{misspelt}"].removeprefix(prefix).removesuffix("'?")
    assert suggested in declared.known_keys()


def test_a_new_records_other_keys_are_its_fields() -> None:
    step = {"id": "s", **MINIMAL["create_record"], "zz_field": 1, "description": "d"}
    assert load_definition(document(step)).nodes[0].config == {
        "record_type": "task",
        "zz_field": 1,
        "description": "d",
    }


def test_an_alias_given_beside_its_canonical_key_is_refused() -> None:
    step = {"id": "s", **EMAIL, "to_email": "b@example.com"}
    assert problems(document(step)) == [
        ("steps[0].to_email", "'to_email' is another name for 'to': give one of them")
    ]


@pytest.mark.parametrize("kind", sorted(TRIGGERS))
def test_an_unknown_key_of_any_trigger_kind_is_refused_at_its_path(kind: str) -> None:
    trigger = {**TRIGGERS[kind], "zz_unknown": 1}
    value = {"name": "n", "trigger": trigger, "steps": [{"id": "s", **EMAIL}]}
    load_definition({**value, "trigger": TRIGGERS[kind]})
    assert problems(value) == [("trigger.zz_unknown", "the trigger has no key 'zz_unknown'")]
    nested = {**value, "trigger": {**TRIGGERS[kind], "config": {"cronn": "x"}}}
    assert problems(nested)[0][0] == "trigger.config.cronn"


def test_a_misspelt_trigger_key_gets_the_close_known_one() -> None:
    trigger = {"event": "lead.created", "dedupe_kye": "{{ id }}"}
    assert problems({"name": "n", "trigger": trigger, "steps": [{"id": "s", **EMAIL}]}) == [
        ("trigger.dedupe_kye", "the trigger has no key 'dedupe_kye'; did you mean 'dedupe_key'?")
    ]


def test_unknown_keys_of_the_document_its_settings_and_edges_are_refused() -> None:
    value = {
        "name": "n",
        "stepz": [],
        "settings": {"on_eror": "stop"},
        "nodes": [{"id": "a", **EMAIL}],
        "edges": [{"from": "trigger", "to": "a", "weight": 2}],
    }
    assert problems(value) == [
        ("stepz", "the definition has no key 'stepz'; did you mean 'steps'?"),
        ("settings.on_eror", "settings has no key 'on_eror'; did you mean 'on_error'?"),
        ("edges[0].weight", "an edge has no key 'weight'"),
    ]


def test_presentation_metadata_is_accepted_everywhere_and_kept_out_of_the_engines_way() -> None:
    shown = {key: "x" for key in PRESENTATION_KEYS}
    value = {
        "name": "n",
        **shown,
        "nodes": [{"id": "a", **EMAIL, **shown}],
        "edges": [{"from": "trigger", "to": "a", **shown}],
    }
    definition = load_definition(value)
    assert definition.nodes[0].config == {k: v for k, v in EMAIL.items() if k != "type"}


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("total_executions", "Relay counts a workflow's runs itself (GET /v1/workflows/{id}/stats)"),
        ("is_active", "a workflow is switched on and off by POST /v1/workflows/{id}/activate or "
         "/pause"),
    ],
)  # fmt: skip
def test_the_reference_documents_workflow_record_keys_are_refused_with_the_reason(
    key: str, reason: str
) -> None:
    assert problems(document({"id": "s", **EMAIL}, **{key: 1})) == [(key, reason)]
    trigger_off = document({"id": "s", **EMAIL}) | {
        "trigger": {"event": "lead.created", "is_active": False}
    }
    assert [path for path, _ in problems(trigger_off)] == ["trigger.is_active"]


@pytest.mark.parametrize(
    "actions",
    [[], [{"action_type": "send_email", "recipient": "invitee", "subject": "s", "message": "m",
           "is_active": False}]],
)  # fmt: skip
def test_scheduling_actions_need_one_that_is_active(actions: list[dict[str, Any]]) -> None:
    document = {"name": "n", "trigger": "booking_created", "actions": actions}
    with pytest.raises(DefinitionError) as caught:
        load_definition(document)
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("actions", "a workflow needs at least one active action")
    ]
