"""Flow nodes (SPEC §2.4): their canonical form, in the steps and the graph form, and their checks."""

from typing import Any

import pytest

from definitions.errors import DefinitionError
from definitions.normalise import normalise_definition
from definitions.validation import load_definition
from tests.definitions.test_seed_examples import ERP_WORKFLOW

EMAIL = {"type": "send_email", "to": "{{ lead.email }}", "subject": "Hi", "body": "Hello"}
LEAF = {"field": "lead.tier", "operator": "eq", "value": "gold"}
LEAF_TREE = {**LEAF, "ignore_case": False}
PAID = {"field": "amount", "operator": "gt", "value": 0}


def email(node_id: str) -> dict[str, Any]:
    return {"id": node_id, **EMAIL}


def steps(*items: dict[str, Any]) -> dict[str, Any]:
    return {"name": "n", "trigger": {"event": "lead.created"}, "steps": list(items)}


def graph(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": "n", "trigger": {"event": "lead.created"}, "nodes": nodes, "edges": edges}


def canonical(document: dict[str, Any]) -> dict[str, Any]:
    return normalise_definition(document).definition.canonical()


def edges(document: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(e["from"], e["to"], e.get("when")) for e in canonical(document)["edges"]]


def config(document: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in canonical(document)["nodes"] if n["id"] == node_id)["config"]


def problems(document: Any) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as caught:
        load_definition(document)
    return [(p.path, p.message) for p in caught.value.problems]


def loads(document: dict[str, Any]) -> bool:
    load_definition(document)
    return True


# --------------------------------------------------------------------------- for_each


def test_for_each_body_steps_hang_off_a_body_edge_and_the_next_step_follows_the_loop():
    document = steps(
        {
            "id": "each",
            "type": "for_each",
            "items": "{{ invoices }}",
            "as": "invoice",
            "body": [email("remind"), email("log")],
        },
        {"id": "after", "type": "stop"},
    )
    assert edges(document) == [
        ("trigger", "each", None),
        ("each", "remind", "body"),
        ("remind", "log", None),
        ("each", "after", None),
    ]
    assert config(document, "each") == {
        "items": "{{ invoices }}",
        "as": "invoice",
        "concurrency": 1,
    }
    assert normalise_definition(document).source_paths["log"] == "steps[0].body[1]"
    assert loads(document)


def test_loop_alias_with_collection_item_variable_and_defaults():
    document = steps(
        {"id": "each", "type": "loop", "collection": [1, 2], "body": [email("a")]},
    )
    assert config(document, "each") == {"items": [1, 2], "as": "item", "concurrency": 1}
    document["steps"][0] |= {"item_variable": "n", "concurrency": 5}
    assert config(document, "each") == {"items": [1, 2], "as": "n", "concurrency": 5}
    assert loads(document)


def test_for_each_body_given_as_ids_draws_one_edge_to_the_entry():
    document = graph(
        [
            {"id": "each", "type": "for_each", "items": "{{ xs }}", "body": ["a", "b"]},
            email("a"),
            email("b"),
        ],
        [{"from": "trigger", "to": "each"}, {"from": "a", "to": "b"}],
    )
    assert edges(document) == [("trigger", "each", None), ("a", "b", None), ("each", "a", "body")]
    assert loads(document)


def test_for_each_body_as_a_written_edge():
    document = graph(
        [{"id": "each", "type": "for_each", "items": "{{ xs }}"}, email("a"), email("after")],
        [
            {"from": "trigger", "to": "each"},
            {"from": "each", "to": "a", "when": "body"},
            {"from": "each", "to": "after"},
        ],
    )
    assert ("each", "a", "body") in edges(document)
    assert loads(document)


def test_erp_loop_drawn_inline_and_as_a_plain_edge_is_one_body_edge():
    assert ("node_2", "node_3", "body") in edges(ERP_WORKFLOW)
    assert ("node_2", "node_3", None) not in edges(ERP_WORKFLOW)


def test_erp_invoice_reminder_loads_with_its_record_actions():
    document = ERP_WORKFLOW | {"trigger": {"type": "event", "event": "invoice.overdue"}}
    types = [node.type for node in load_definition(document).nodes]
    assert types == ["query_records", "for_each", "condition", "send_email", "create_record"]


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ({"body": [email("a")]}, [("steps[0].items", "for_each needs 'items'")]),
        (
            {"items": "invoices", "body": [email("a")]},
            [("steps[0].items", 'items is a template giving a list ("{{ invoices }}")')],
        ),
        (
            {"items": "{{ xs }}", "as": "an item", "body": [email("a")]},
            [("steps[0].as", "the item variable must be a name, not 'an item'")],
        ),
        (
            {"items": "{{ xs }}", "concurrency": 0, "body": [email("a")]},
            [("steps[0].concurrency", "concurrency is a whole number, at least 1")],
        ),
        ({"items": "{{ xs }}"}, [("steps[0].body", "for_each needs a body")]),
        ({"items": "{{ xs }}", "body": []}, [("steps[0].body", "for_each needs a body")]),
    ],
)
def test_for_each_configuration_problems(step, expected):
    assert problems(steps({"id": "each", "type": "for_each", **step})) == expected


# --------------------------------------------------------------------------- parallel


def test_parallel_branches_each_get_a_branch_edge_and_do_not_rejoin():
    document = steps(
        {
            "id": "fan",
            "type": "parallel",
            "branches": [[email("a")], [email("b"), email("c")]],
        },
        {"id": "after", "type": "stop"},
    )
    assert edges(document) == [
        ("trigger", "fan", None),
        ("fan", "a", "branch"),
        ("fan", "b", "branch"),
        ("b", "c", None),
        ("fan", "after", None),
    ]
    assert config(document, "fan") == {"join": "all"}
    assert loads(document)


def test_parallel_branches_as_ids_single_steps_or_objects_with_steps():
    document = graph(
        [
            {
                "id": "fan",
                "type": "parallel",
                "join": "any",
                "branches": ["a", ["b", "c"], email("d"), {"steps": [email("e")]}],
            },
            email("a"),
            email("b"),
            email("c"),
        ],
        [{"from": "trigger", "to": "fan"}, {"from": "b", "to": "c"}],
    )
    assert [e for e in edges(document) if e[0] == "fan"] == [
        ("fan", "a", "branch"),
        ("fan", "b", "branch"),
        ("fan", "d", "branch"),
        ("fan", "e", "branch"),
    ]
    assert config(document, "fan") == {"join": "any"}
    assert loads(document)


def test_parallel_problems():
    assert problems(steps({"id": "fan", "type": "parallel", "join": "most"})) == [
        ("steps[0].join", "join must be 'all' or 'any'"),
        ("steps[0].branches", "parallel needs at least one branch"),
    ]
    assert problems(steps({"id": "fan", "type": "parallel", "branches": "a"})) == [
        ("steps[0].branches", "branches is a list of branches")
    ]


# --------------------------------------------------------------------------- switch


def test_switch_cases_and_default_rejoin_the_next_step():
    document = steps(
        {
            "id": "tier",
            "type": "switch",
            "cases": [
                {"name": "gold", "when": LEAF, "steps": [email("vip")]},
                {"name": "silver", "conditions": [PAID]},
            ],
            "default": [email("basic")],
        },
        {"id": "after", "type": "stop"},
    )
    assert edges(document) == [
        ("trigger", "tier", None),
        ("tier", "vip", "gold"),
        ("tier", "basic", "default"),
        ("vip", "after", None),
        ("tier", "after", "silver"),
        ("basic", "after", None),
    ]
    assert config(document, "tier") == {
        "cases": [
            {"name": "gold", "when": LEAF_TREE},
            {"name": "silver", "when": {"and": [{**PAID, "ignore_case": False}]}},
        ]
    }
    assert loads(document)


def test_switch_on_a_value_with_cases_by_name_and_a_missing_default():
    document = steps(
        {
            "id": "plan",
            "type": "switch",
            "value": "{{ plan }}",
            "cases": {"pro": [email("upsell")], "free": [], "team": {"equals": "teams"}},
        },
        {"id": "after", "type": "stop"},
    )
    assert config(document, "plan") == {
        "value": "{{ plan }}",
        "cases": [
            {"name": "pro", "equals": "pro"},
            {"name": "free", "equals": "free"},
            {"name": "team", "equals": "teams"},
        ],
    }
    assert edges(document) == [
        ("trigger", "plan", None),
        ("plan", "upsell", "pro"),
        ("upsell", "after", None),
        ("plan", "after", "free"),
        ("plan", "after", "team"),
        ("plan", "after", "default"),
    ]
    assert loads(document)


def test_switch_in_a_graph_keeps_its_case_names_even_where_they_look_like_aliases():
    document = graph(
        [
            {
                "id": "s",
                "type": "switch",
                "cases": [{"name": "yes", "when": LEAF}, {"name": "Gold", "when": PAID}],
            },
            email("a"),
            email("b"),
            email("c"),
        ],
        [
            {"from": "trigger", "to": "s"},
            {"from": "s", "to": "a", "when": "yes"},
            {"from": "s", "to": "b", "condition": "gold"},
            {"from": "s", "to": "c", "label": "Default"},
        ],
    )
    assert [e for e in edges(document) if e[0] == "s"] == [
        ("s", "a", "yes"),
        ("s", "b", "Gold"),
        ("s", "c", "default"),
    ]
    assert loads(document)


def test_switch_cases_given_as_ids():
    document = graph(
        [
            {"id": "s", "type": "switch", "cases": [{"name": "gold", "when": LEAF, "steps": "a"}]},
            email("a"),
        ],
        [{"from": "trigger", "to": "s"}],
    )
    assert ("s", "a", "gold") in edges(document)
    assert loads(document)


def test_switch_problems():
    assert problems(steps({"id": "s", "type": "switch", "cases": []})) == [
        ("steps[0].cases", "switch needs at least one case")
    ]
    document = steps(
        {
            "id": "s",
            "type": "switch",
            "cases": [
                {"name": "a", "when": LEAF},
                {"name": "a", "when": PAID},
                {"name": "default", "when": PAID},
                {"name": "b", "equals": 3},
                {"name": "c"},
                {"when": PAID},
            ],
        },
        email("after"),
    )
    assert problems(document) == [
        ("steps[0].cases[1].name", "a second case named 'a'"),
        ("steps[0].cases[2].name", "'default' names the switch's fallback, not a case"),
        ("steps[0].cases[3].equals", "'equals' compares with the switch's 'value': add one"),
        (
            "steps[0].cases[4]",
            "a case needs a 'when' condition, or 'equals' with the switch's 'value'",
        ),
        ("steps[0].cases[5].name", "a case needs a name"),
    ]


def test_a_switch_with_no_way_out():
    document = graph(
        [{"id": "s", "type": "switch", "cases": [{"name": "gold", "when": LEAF}]}],
        [{"from": "trigger", "to": "s"}],
    )
    assert problems(document) == [("nodes[0]", "a switch needs an edge for a case or the default")]
    document["edges"].append({"from": "s", "to": "s2", "when": "default"})
    document["nodes"].append({"id": "s2", "type": "stop"})
    assert loads(document)


def test_a_switch_takes_no_guard():
    document = steps(
        {"id": "s", "type": "switch", "when": PAID, "cases": [{"name": "a", "when": LEAF}]},
        email("after"),
    )
    assert problems(document) == [
        ("steps[0].when", "a switch takes no guard; put it on a step before")
    ]


# --------------------------------------------------------------------------- split


def test_split_variants_with_steps_rejoin_and_weights_default_to_one():
    document = steps(
        {
            "id": "ab",
            "type": "ab_split",
            "variants": [
                {"name": "A", "percentage": 70, "steps": [email("long")]},
                {"name": "B"},
            ],
        },
        {"id": "after", "type": "stop"},
    )
    assert config(document, "ab") == {
        "variants": [{"name": "A", "weight": 70}, {"name": "B", "weight": 1}]
    }
    assert edges(document) == [
        ("trigger", "ab", None),
        ("ab", "long", "A"),
        ("long", "after", None),
        ("ab", "after", "B"),
    ]
    assert loads(document)


def test_a_split_variant_without_an_edge_needs_the_splits_plain_edge():
    nodes = [
        {"id": "ab", "type": "split", "variants": [{"name": "A"}, {"name": "B"}]},
        email("a"),
        email("rest"),
    ]
    written = [{"from": "trigger", "to": "ab"}, {"from": "ab", "to": "a", "when": "A"}]
    assert problems(graph(nodes, written)) == [
        ("nodes[0].variants[1]", "variant 'B' leads nowhere: give it an edge, or the split one"),
        ("nodes[2]", "node 'rest' can never be reached"),
    ]
    assert loads(graph(nodes, [*written, {"from": "ab", "to": "rest"}]))


def test_split_problems():
    assert problems(steps({"id": "ab", "type": "split"})) == [
        ("steps[0].variants", "split needs at least one variant")
    ]
    document = steps(
        {
            "id": "ab",
            "type": "split",
            "variants": [{"name": "A", "weight": 0}, {"name": "A"}, {"weight": True}],
        },
        email("x"),
    )
    assert problems(document) == [
        ("steps[0].variants[0].weight", "a weight is a number above 0"),
        ("steps[0].variants[1].name", "a second variant named 'A'"),
        ("steps[0].variants[2].name", "a variant needs a name"),
        ("steps[0].variants[2].weight", "a weight is a number above 0"),
    ]


# --------------------------------------------------------------------------- waits for events and conditions


def test_wait_for_event_with_its_aliases_a_timeout_and_an_on_timeout_branch():
    document = steps(
        {
            "id": "paid",
            "type": "wait_for_event",
            "event_type": "invoice_paid",
            "filter": PAID,
            "timeout": "3d",
            "on_timeout": [email("nag")],
        },
        {"id": "after", "type": "stop"},
    )
    assert config(document, "paid") == {
        "event": "invoice.paid",
        "condition": {**PAID, "ignore_case": False},
        "timeout": 259200.0,
    }
    assert edges(document) == [
        ("trigger", "paid", None),
        ("paid", "nag", "timeout"),
        ("paid", "after", None),
        ("nag", "after", None),
    ]
    assert loads(document)


def test_wait_for_event_conditions_are_its_filter_and_it_takes_no_guard_besides():
    document = steps({"id": "w", "type": "wait_for_event", "event": "a.b", "conditions": [PAID]})
    assert config(document, "w")["condition"] == {"and": [{**PAID, "ignore_case": False}]}
    document["steps"][0]["condition"] = PAID
    assert problems(document) == [
        (
            "steps[0].conditions",
            "a wait_for_event node filters events with 'condition'; it takes no guard",
        )
    ]


def test_wait_for_event_in_a_graph_with_received_and_timeout_edges():
    document = graph(
        [
            {"id": "w", "type": "wait_for_event", "config": {"event": "a.b", "timeout": "PT1H"}},
            email("thanks"),
            email("nag"),
        ],
        [
            {"from": "trigger", "to": "w"},
            {"from": "w", "to": "thanks", "when": "received"},
            {"from": "w", "to": "nag", "when": "on_timeout"},
        ],
    )
    assert config(document, "w") == {"event": "a.b", "timeout": 3600.0}
    assert [e for e in edges(document) if e[0] == "w"] == [
        ("w", "thanks", "received"),
        ("w", "nag", "timeout"),
    ]
    assert loads(document)


def test_wait_condition_takes_when_as_its_condition_and_a_timeout():
    document = steps(
        {"id": "w", "type": "wait_condition", "when": LEAF, "timeout": {"days": 7}},
        email("after"),
    )
    assert config(document, "w") == {"condition": LEAF_TREE, "timeout": 604800.0}
    assert edges(document) == [("trigger", "w", None), ("w", "after", None)]
    assert loads(document)


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        (
            {"type": "wait_for_event"},
            [("steps[0].event", "wait_for_event needs the 'event' type it waits for")],
        ),
        (
            {"type": "wait_for_event", "event": "a.b", "timeout": "-1h"},
            [("steps[0].timeout", "a timeout is a positive duration")],
        ),
        (
            {"type": "wait_condition", "condition": LEAF, "timeout": 0},
            [("steps[0].timeout", "a timeout is a positive duration")],
        ),
        ({"type": "wait_condition"}, [("steps[0].condition", "wait_condition needs a condition")]),
    ],
)
def test_wait_configuration_problems(step, expected):
    assert problems(steps({"id": "w", **step})) == expected


def test_an_unreadable_timeout_is_refused_while_normalising():
    with pytest.raises(DefinitionError) as caught:
        normalise_definition(
            steps({"id": "w", "type": "wait_condition", "when": LEAF, "timeout": "soon"})
        )
    assert [p.path for p in caught.value.problems] == ["steps[0].timeout"]


# --------------------------------------------------------------------------- goal, sub_workflow, set, stop


def test_goal_is_reachable_by_its_condition_without_any_edge():
    document = graph(
        [{"id": "won", "type": "goal", "condition": LEAF, "goal_value": 500}, email("a")],
        [],
    )
    assert edges(document) == [("trigger", "a", None)]  # the flow starts at the email
    assert config(document, "won") == {"condition": LEAF_TREE, "value": 500}
    assert loads(document)


def test_goal_problems():
    assert problems(steps({"id": "g", "type": "goal", "value": "lots"})) == [
        ("steps[0].condition", "a goal needs a condition"),
        ("steps[0].value", "a goal's value is a number"),
    ]


def test_sub_workflow_with_its_aliases():
    document = steps(
        {
            "id": "child",
            "type": "sub_workflow",
            "workflow": 42,
            "version": 3,
            "inputs": {"id": "{{ lead.id }}"},
        }
    )
    assert config(document, "child") == {
        "workflow_id": "42",
        "version": 3,
        "input": {"id": "{{ lead.id }}"},
    }
    assert loads(document)


def test_sub_workflow_problems():
    document = steps({"id": "child", "type": "sub_workflow", "version": 0, "input": ["x"]})
    assert problems(document) == [
        ("steps[0].workflow_id", "sub_workflow needs the 'workflow_id' to run"),
        ("steps[0].version", "a version is a whole number, at least 1"),
        ("steps[0].input", "input is an object of names and values"),
    ]


@pytest.mark.parametrize(
    "step",
    [
        {"type": "set", "values": {"total": "{{ a + b }}"}},
        {"type": "calculate", "variables": {"total": "{{ a + b }}"}},
        {"type": "transform", "set": {"total": "{{ a + b }}"}},
        {"type": "set", "name": "total", "value": "{{ a + b }}"},
        {"type": "set", "variable": "total", "value": "{{ a + b }}"},
        {"type": "set", "config": {"name": "total", "value": "{{ a + b }}"}},
    ],
)
def test_set_forms_become_values(step):
    document = steps({"id": "v", **step})
    assert config(document, "v") == {"values": {"total": "{{ a + b }}"}}
    assert loads(document)


def test_the_flat_set_name_is_the_variable_and_label_names_the_step():
    document = steps({"id": "v", "type": "set", "name": "total", "value": 1, "label": "Sum"})
    node = canonical(document)["nodes"][0]
    assert node["name"] == "Sum" and node["config"] == {"values": {"total": 1}}


def test_set_problems():
    assert problems(steps({"id": "v", "type": "set"})) == [
        ("steps[0].values", "set needs 'values': names and what to set them to")
    ]
    assert problems(steps({"id": "v", "type": "set", "values": {"not a name": 1}})) == [
        ("steps[0].values.not a name", "a variable name is a word like total, not 'not a name'")
    ]
    assert problems(steps({"id": "v", "type": "set", "name": "2x", "value": 1})) == [
        ("steps[0].name", "a variable name is a word like total, not '2x'")
    ]


def test_stop_status():
    assert config(steps({"id": "e", "type": "end", "status": "Canceled"}), "e") == {
        "status": "cancelled"
    }
    assert loads(steps({"id": "e", "type": "stop", "status": "goal_reached"}))
    assert problems(steps({"id": "e", "type": "stop", "status": "exploded"})) == [
        (
            "steps[0].status",
            "a stop status is one of cancelled, completed, failed, goal_reached, skipped",
        )
    ]


# --------------------------------------------------------------------------- edge labels


SOURCES: dict[str, dict[str, Any]] = {
    "condition": {"type": "condition", "condition": LEAF},
    "send_email": EMAIL,
    "sub_workflow": {"type": "sub_workflow", "workflow_id": "w"},
    "wait_for_event": {"type": "wait_for_event", "event": "a.b"},
    "wait_condition": {"type": "wait_condition", "condition": LEAF},
    "for_each": {"type": "for_each", "items": "{{ xs }}"},
    "parallel": {"type": "parallel"},
    "switch": {"type": "switch", "cases": [{"name": "gold", "when": LEAF}]},
    "split": {"type": "split", "variants": [{"name": "A"}]},
    "wait": {"type": "wait", "duration": "1h"},
    "set": {"type": "set", "values": {"x": 1}},
}
ALLOWED: dict[str, set[str | None]] = {
    "condition": {"true", "false", "error"},
    "send_email": {None, "error"},
    "sub_workflow": {None, "error"},
    "wait_for_event": {None, "received", "timeout"},
    "wait_condition": {None, "timeout"},
    "for_each": {None, "body"},
    "parallel": {None, "branch"},
    "switch": {"gold", "default"},
    "split": {None, "A"},
    "wait": {None},
    "set": {None},
}
LABELS = [
    None,
    "true",
    "false",
    "error",
    "received",
    "timeout",
    "body",
    "branch",
    "default",
    "gold",
    "A",
]


@pytest.mark.parametrize("source", sorted(SOURCES))
def test_each_node_type_allows_exactly_its_edge_labels(source):
    node = normalise_definition(steps({"id": "n", **SOURCES[source]})).definition.nodes[0]
    assert {label for label in LABELS if label in node.edge_labels()} == ALLOWED[source]


def test_an_edge_label_the_source_does_not_have_is_refused_at_the_edge():
    document = graph(
        [{"id": "w", "type": "wait", "duration": "1h"}, email("a")],
        [{"from": "trigger", "to": "w"}, {"from": "w", "to": "a", "when": "timeout"}],
    )
    assert problems(document) == [("edges[1].when", "a wait node has no 'timeout' edges (none)")]


def test_an_unknown_label_lists_what_the_source_takes():
    document = graph(
        [{"id": "w", "type": "wait_for_event", "event": "a.b"}, email("a")],
        [{"from": "trigger", "to": "w"}, {"from": "w", "to": "a", "when": "later"}],
    )
    assert problems(document) == [
        ("edges[1].when", "unknown edge label 'later' (received, timeout, or none)")
    ]


def test_a_condition_edge_needs_a_label():
    document = graph(
        [{"id": "c", "type": "condition", "condition": LEAF}, email("a")],
        [{"from": "trigger", "to": "c"}, {"from": "c", "to": "a"}],
    )
    assert problems(document) == [
        ("edges[1].when", "an edge leaving a condition node needs a label (error, false, true)")
    ]


def test_the_trigger_leads_on_by_a_plain_edge_only():
    document = graph([email("a")], [{"from": "trigger", "to": "a", "when": "error"}])
    assert problems(document) == [("edges[0].when", "the trigger has no 'error' edges (none)")]


def test_many_branch_edges_but_only_one_body_edge():
    nodes = [
        {"id": "each", "type": "for_each", "items": "{{ xs }}"},
        email("a"),
        email("b"),
    ]
    written = [
        {"from": "trigger", "to": "each"},
        {"from": "each", "to": "a", "when": "body"},
        {"from": "each", "to": "b", "when": "body"},
    ]
    assert problems(graph(nodes, written)) == [
        ("edges[2]", "a second edge labelled 'body' leaves 'each': which one runs is ambiguous")
    ]
    nodes[0] = {"id": "each", "type": "parallel"}
    for edge in written[1:]:
        edge["when"] = "branch"
    assert loads(graph(nodes, written))


# --------------------------------------------------------------------------- cycles and reachability


def test_a_cycle_without_a_wait_is_refused_once_naming_its_nodes():
    document = graph(
        [
            email("a"),
            email("b"),
            {"id": "c", "type": "condition", "condition": LEAF},
            {"id": "done", "type": "stop"},
        ],
        [
            {"from": "trigger", "to": "a"},
            {"from": "a", "to": "b"},
            {"from": "b", "to": "c"},
            {"from": "c", "to": "a", "when": "true"},
            {"from": "c", "to": "b", "when": "error"},
            {"from": "c", "to": "done", "when": "false"},
        ],
    )
    assert problems(document) == [
        (
            "nodes[0]",
            "the cycle 'a' → 'b' → 'c' → 'a' has no wait, wait_for_event or wait_condition on "
            "it, so it would run without pause",
        )
    ]


@pytest.mark.parametrize(
    "pause",
    [
        {"type": "wait", "duration": "1d"},
        {"type": "wait_for_event", "event": "lead.updated"},
        {"type": "wait_condition", "condition": LEAF},
    ],
)
def test_a_cycle_through_a_wait_is_a_polling_loop(pause):
    document = graph(
        [{"id": "c", "type": "condition", "condition": LEAF}, {"id": "w", **pause}, email("a")],
        [
            {"from": "trigger", "to": "c"},
            {"from": "c", "to": "w", "when": "false"},
            {"from": "w", "to": "c"},
            {"from": "c", "to": "a", "when": "true"},
        ],
    )
    assert loads(document)


@pytest.mark.parametrize("duration", ["0s", 0, "PT0S"])
def test_a_cycle_whose_only_wait_is_of_no_time_is_refused(duration):
    document = graph(
        [{"id": "c", "type": "condition", "condition": LEAF},
         {"id": "w", "type": "wait", "duration": duration}],
        [
            {"from": "trigger", "to": "c"},
            {"from": "c", "to": "w", "when": "false"},
            {"from": "w", "to": "c"},
        ],
    )  # fmt: skip
    assert [path for path, _ in problems(document)] == ["nodes[0]"]


def test_a_body_edge_back_into_its_loop_and_an_error_node_back_to_itself_are_cycles():
    loop = graph(
        [{"id": "each", "type": "for_each", "items": "{{ xs }}"}, email("a")],
        [
            {"from": "trigger", "to": "each"},
            {"from": "each", "to": "a", "when": "body"},
            {"from": "a", "to": "each"},
        ],
    )
    assert [path for path, _ in problems(loop)] == ["nodes[0]"]
    retry = graph([{**email("a"), "on_error": "a"}], [{"from": "trigger", "to": "a"}])
    assert problems(retry) == [
        (
            "nodes[0]",
            "the cycle 'a' → 'a' has no wait, wait_for_event or wait_condition on it, so it would "
            "run without pause",
        )
    ]


def test_reachability_follows_body_branch_and_case_edges():
    document = graph(
        [
            {"id": "each", "type": "for_each", "items": "{{ xs }}"},
            {"id": "fan", "type": "parallel"},
            {"id": "s", "type": "switch", "cases": [{"name": "gold", "when": LEAF}]},
            email("deep"),
            email("orphan"),
        ],
        [
            {"from": "trigger", "to": "each"},
            {"from": "each", "to": "fan", "when": "body"},
            {"from": "fan", "to": "s", "when": "branch"},
            {"from": "s", "to": "deep", "when": "gold"},
        ],
    )
    assert problems(document) == [("nodes[4]", "node 'orphan' can never be reached")]


# --------------------------------------------------------------------------- idempotence

FLOW_EXAMPLES: list[dict[str, Any]] = [
    steps(
        {"id": "each", "type": "loop", "collection": "{{ xs }}", "body": [email("a")]},
        {"id": "fan", "type": "parallel", "branches": [[email("b")], [email("c")]]},
        {
            "id": "s",
            "type": "switch",
            "value": "{{ plan }}",
            "cases": {"pro": [email("d")], "free": []},
            "default": [email("e")],
        },
        {
            "id": "ab",
            "type": "ab_split",
            "variants": [{"name": "A", "steps": [email("f")]}, {"name": "B"}],
        },
        {
            "id": "w",
            "type": "wait_for_event",
            "event": "a.b",
            "timeout": "1d",
            "on_timeout": [email("g")],
        },
        {"id": "wc", "type": "wait_condition", "when": LEAF, "timeout": 60},
        {"id": "child", "type": "sub_workflow", "workflow_id": "w2", "input": {"x": 1}},
        {"id": "v", "type": "set", "name": "total", "value": 2},
        {"id": "won", "type": "goal", "condition": LEAF, "value": 10},
        {"id": "end", "type": "end", "status": "failed"},
    ),
    graph(
        [
            {"id": "s", "type": "switch", "cases": [{"name": "yes", "when": LEAF}]},
            email("a"),
            email("b"),
        ],
        [
            {"from": "trigger", "to": "s"},
            {"from": "s", "to": "a", "when": "yes"},
            {"from": "s", "to": "b", "when": "default"},
        ],
    ),
    ERP_WORKFLOW,
]


@pytest.mark.parametrize("document", FLOW_EXAMPLES, ids=["steps", "switch graph", "erp"])
def test_normalising_the_canonical_form_again_changes_nothing(document):
    first = canonical(document)
    assert canonical(first) == first


def test_the_steps_example_loads():
    assert len(load_definition(FLOW_EXAMPLES[0]).nodes) == 17


@pytest.mark.parametrize(
    ("step", "expected"),
    [
        ({"type": "switch", "cases": "gold"}, [("steps[0].cases", "cases is a list of cases")]),
        (
            {"type": "switch", "cases": ["gold"]},
            [("steps[0].cases[0]", "a case is an object with a name")],
        ),
        (
            {"type": "split", "variants": {"A": 1}},
            [("steps[0].variants", "variants is a list of {name, weight}")],
        ),
        (
            {"type": "split", "variants": ["A"]},
            [("steps[0].variants[0]", "a variant is an object with a name and a weight")],
        ),
        (
            {"type": "switch", "cases": [{"name": "a", "when": {"field": "x", "operator": "?"}}]},
            [("steps[0].cases[0].when.operator", "unknown operator '?'")],
        ),
    ],
)
def test_malformed_flow_shapes_are_refused_while_normalising(step, expected):
    with pytest.raises(DefinitionError) as caught:
        normalise_definition(steps({"id": "n", **step}))
    assert [(p.path, p.message) for p in caught.value.problems] == expected


def test_a_switch_ending_the_steps_with_no_case_steps_has_no_way_out():
    document = steps({"id": "s", "type": "switch", "cases": [{"name": "gold", "when": LEAF}]})
    assert problems(document) == [("steps[0]", "a switch needs an edge for a case or the default")]
    document["steps"][0]["default"] = [email("a")]
    assert loads(document)
