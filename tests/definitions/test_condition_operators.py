"""The operator guide editors read: it names exactly the language's operators, and each holds
for some value of every kind it is offered for."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from definitions.condition_operators import OPERATOR_GUIDES, value_kind
from definitions.conditions import OPERATORS, evaluate_condition

TODAY = date(2030, 1, 15)
# A field value of each kind, and for each value shape what makes the operator hold on it.
FIELD = {
    "text": "Ann Lee",
    "number": 7,
    "bool": True,
    "instant": "2030-01-05T10:00:00+00:00",
    "list": ["pro", "trial"],
    "object": {"plan": "pro"},
}
HOLDS: dict[tuple[str, str], Any] = {
    ("eq", "text"): "Ann Lee", ("eq", "number"): 7, ("eq", "bool"): True,
    ("eq", "instant"): "2030-01-05T10:00:00Z", ("eq", "list"): ["pro", "trial"],
    ("eq", "object"): {"plan": "pro"},
    ("ne", "text"): "Bo", ("ne", "number"): 8, ("ne", "bool"): False,
    ("ne", "instant"): "2030-01-06T00:00:00Z", ("ne", "list"): ["x"], ("ne", "object"): {},
    ("gt", "number"): 6, ("gt", "instant"): "2030-01-01T00:00:00Z",
    ("gte", "number"): 7, ("gte", "instant"): "2030-01-05T10:00:00Z",
    ("lt", "number"): 8, ("lt", "instant"): "2030-02-01T00:00:00Z",
    ("lte", "number"): 7, ("lte", "instant"): "2030-01-05T10:00:00Z",
    ("between", "number"): [1, 9],
    ("between", "instant"): ["2030-01-01T00:00:00Z", "2030-01-31T00:00:00Z"],
    ("in", "text"): ["Bo", "Ann Lee"], ("in", "number"): [7, 8],
    ("in", "instant"): ["2030-01-05T10:00:00Z"],
    ("not_in", "text"): ["Bo"], ("not_in", "number"): [8], ("not_in", "instant"): ["2031-01-01"],
    ("contains", "text"): "Lee", ("contains", "list"): "pro", ("contains", "object"): "plan",
    ("not_contains", "text"): "Bo", ("not_contains", "list"): "x",
    ("not_contains", "object"): "x",
    ("startswith", "text"): "Ann", ("endswith", "text"): "Lee",
    ("regex", "text"): "^A.n", ("regex", "number"): "^7$",
    ("before", "instant"): "2030-01-06T00:00:00Z", ("after", "instant"): "2030-01-01T00:00:00Z",
    ("days_ago", "instant"): 5, ("days_from_now", "instant"): -30,
}  # fmt: skip
EMPTY = {"text": " ", "list": [], "object": {}}


def test_the_guide_names_every_operator_of_the_language_once() -> None:
    names = [guide.name for guide in OPERATOR_GUIDES]
    assert sorted(names) == sorted(OPERATORS)
    assert len(set(names)) == len(names)


@pytest.mark.parametrize(
    ("operator", "kind"),
    [(guide.name, kind) for guide in OPERATOR_GUIDES for kind in guide.kinds],
)
def test_an_operator_holds_for_some_value_of_each_kind_it_is_offered_for(
    operator: str, kind: str
) -> None:
    guide = next(g for g in OPERATOR_GUIDES if g.name == operator)
    context: dict[str, Any] = {"f": FIELD[kind]}
    if operator == "is_empty":
        context["f"] = EMPTY[kind]
    if operator == "not_exists":
        context = {"f": None}  # present but null: what a field of that kind may be
    if operator == "changed":
        context["previous"] = {"f": None}
    leaf: dict[str, Any] = {"field": "f", "operator": operator}
    if guide.value != "none":
        leaf["value"] = HOLDS[(operator, kind)]
    assert evaluate_condition(leaf, context, today=TODAY)


@pytest.mark.parametrize(
    ("value", "kind"),
    [
        ("pro", "text"), ("12.5", "number"), (3, "number"), (False, "bool"),
        ("2030-01-15", "instant"), ("2030-99-99", "text"), (["a"], "list"), ({}, "object"),
        (None, "null"), ("{{ plan }}", None),
    ],
)  # fmt: skip
def test_a_literal_value_has_the_kind_the_evaluator_compares_it_as(value: Any, kind: str) -> None:
    assert value_kind(value) == kind
