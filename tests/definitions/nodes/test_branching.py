"""switch and split (definitions.nodes.branching): cases, variants, defaults and their checks."""

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
