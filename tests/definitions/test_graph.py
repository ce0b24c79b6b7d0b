"""The graph the nodes make: which edge labels leave each type, cycles that never pause,
reachability, and normalising the canonical form again."""

from typing import Any

import pytest

from definitions.errors import DefinitionError
from definitions.loading import load_definition
from definitions.nodes import edge_labels
from definitions.normalise import normalise_definition
from tests.definitions.nodes.documents import (
    EMAIL,
    LEAF,
    canonical,
    email,
    graph,
    loads,
    problems,
    steps,
)
from tests.definitions.test_seed_examples import ERP_WORKFLOW

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
    assert {label for label in LABELS if label in edge_labels(node)} == ALLOWED[source]


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
