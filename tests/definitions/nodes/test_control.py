"""set, goal and stop (definitions.nodes.control)."""

import pytest

from tests.definitions.nodes.documents import (
    LEAF,
    LEAF_TREE,
    canonical,
    config,
    edges,
    email,
    graph,
    loads,
    problems,
    steps,
)

# --------------------------------------------------------------------------- goal


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
