"""for_each and parallel (definitions.nodes.loops): their canonical form in the steps and the
graph form, and their checks."""

import pytest

from definitions.loading import load_definition
from definitions.normalise import normalise_definition
from tests.definitions.nodes.documents import (
    config,
    edges,
    email,
    graph,
    loads,
    problems,
    steps,
)
from tests.definitions.test_seed_examples import ERP_WORKFLOW

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
