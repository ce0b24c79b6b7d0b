"""wait_for_event and wait_condition (definitions.nodes.waits): aliases, timeouts, on_timeout
and their checks."""

import pytest

from definitions.errors import DefinitionError
from definitions.normalise import normalise_definition
from tests.definitions.nodes.documents import (
    LEAF,
    LEAF_TREE,
    PAID,
    config,
    edges,
    email,
    graph,
    loads,
    problems,
    steps,
)

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
