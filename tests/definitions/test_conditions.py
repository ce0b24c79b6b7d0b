import time
from datetime import date

import pytest

from definitions.conditions import (
    MISSING,
    OPERATOR_ALIASES,
    OPERATORS,
    evaluate_condition,
    get_path,
    normalise_condition,
)
from definitions.errors import DefinitionError

TODAY = date(2026, 1, 15)

CONTEXT = {
    "lead": {
        "score": 85,
        "name": "Ada Lovelace",
        "email": "ada@Example.com",
        "tags": ["vip", "eu"],
    },
    "amount": "120.50",
    "count": 3,
    "zero": 0,
    "none": None,
    "empty": "",
    "blank": "   ",
    "no_items": [],
    "flag": True,
    "status": "Paid",
    "created_at": "2026-01-05T09:00:00Z",
    "due_date": "2026-01-20",
    "items": [{"sku": "A-1"}, {"sku": "B-2"}],
    "owner": {"id": 7},
    "previous": {"status": "Open", "count": "3", "owner": {"id": 7}},
}


def leaf(field, operator, value=None, **options):
    return {"field": field, "operator": operator, "value": value, **options}


def check(condition):
    return evaluate_condition(condition, CONTEXT, today=TODAY)


@pytest.mark.parametrize(
    ("field", "operator", "value", "expected"),
    [
        ("lead.score", "eq", 85, True),
        ("lead.score", "eq", 84, False),
        ("lead.score", "eq", "85", True),
        ("amount", "eq", 120.5, True),
        ("status", "eq", "Paid", True),
        ("status", "eq", "paid", False),
        ("flag", "eq", True, True),
        ("flag", "eq", "true", True),
        ("flag", "eq", 1, False),
        ("none", "eq", None, True),
        ("lead.tags", "eq", ["vip", "eu"], True),
        ("status", "ne", "Open", True),
        ("status", "ne", "Paid", False),
        ("count", "ne", "3", False),
        ("lead.score", "gt", 80, True),
        ("lead.score", "gt", 85, False),
        ("amount", "gt", "99", True),  # numeric strings compare as numbers, not text
        ("lead.score", "gte", 85, True),
        ("lead.score", "gte", 86, False),
        ("count", "lt", 10, True),
        ("count", "lt", 3, False),
        ("count", "lte", 3, True),
        ("count", "lte", 2, False),
        ("status", "in", ["Paid", "Open"], True),
        ("status", "in", "Open, Paid", True),
        ("status", "in", ["Open"], False),
        ("count", "in", [1, 2, 3], True),
        ("status", "not_in", ["Open", "Void"], True),
        ("status", "not_in", "Paid,Void", False),
        ("lead.name", "contains", "Love", True),
        ("lead.name", "contains", "love", False),
        ("lead.tags", "contains", "vip", True),
        ("lead.tags", "contains", "us", False),
        ("owner", "contains", "id", True),
        ("lead.name", "not_contains", "Babbage", True),
        ("lead.tags", "not_contains", "vip", False),
        ("lead.name", "startswith", "Ada", True),
        ("lead.name", "startswith", "Love", False),
        ("lead.email", "endswith", ".com", True),
        ("lead.email", "endswith", ".org", False),
        ("empty", "is_empty", None, True),
        ("blank", "is_empty", None, True),
        ("no_items", "is_empty", None, True),
        ("none", "is_empty", None, True),
        ("zero", "is_empty", None, False),
        ("status", "is_empty", None, False),
        ("status", "is_not_empty", None, True),
        ("empty", "is_not_empty", None, False),
        ("status", "exists", None, True),
        ("none", "exists", None, False),
        ("none", "not_exists", None, True),
        ("status", "not_exists", None, False),
        ("lead.email", "regex", r"^[^@]+@example\.com$", False),
        ("lead.email", "regex", r"@Example\.", True),
        ("count", "regex", r"^\d$", True),
        ("created_at", "before", "2026-01-06", True),
        ("created_at", "before", "2026-01-05T08:00:00Z", False),
        ("created_at", "after", "2026-01-05T08:00:00+00:00", True),
        ("due_date", "after", "2026-01-21", False),
        ("due_date", "after", "2026-01-19T23:59:59Z", True),
        ("lead.score", "between", [80, 90], True),
        ("lead.score", "between", [85, 85], True),  # inclusive
        ("lead.score", "between", [86, 90], False),
        ("created_at", "between", ["2026-01-01", "2026-01-31"], True),
        ("created_at", "days_ago", 10, True),  # Jan 5 is 10 days before Jan 15
        ("created_at", "days_ago", 11, False),
        ("due_date", "days_from_now", 5, True),
        ("due_date", "days_from_now", "6", False),
        ("status", "changed", None, True),
        ("count", "changed", None, False),  # "3" and 3 are the same number
        ("owner", "changed", None, False),
        ("lead.score", "changed", None, False),  # no previous value: nothing to compare
        ("items.1.sku", "eq", "B-2", True),
        ("items[0].sku", "eq", "A-1", True),
    ],
)
def test_operator(field, operator, value, expected):
    assert check(leaf(field, operator, value)) is expected


@pytest.mark.parametrize(("alias", "canonical"), sorted(OPERATOR_ALIASES.items()))
def test_every_alias_normalises_to_its_canonical_operator(alias, canonical):
    assert canonical in OPERATORS
    tree = normalise_condition(leaf("x", alias.upper(), [1, 2] if canonical == "between" else "a"))
    assert tree is not None and tree["operator"] == canonical


@pytest.mark.parametrize(
    ("alias", "value", "expected"),
    [
        ("equals", 85, True),
        ("==", 85, True),
        ("not_equals", 85, False),
        ("!=", 84, True),
        ("greater_than", 80, True),
        ("greater_than_or_equal", 86, False),
        ("less_than", 90, True),
        ("less_than_or_equal", 84, False),
        ("in_list", [85], True),
        ("not_in_list", [85], False),
    ],
)
def test_aliases_evaluate_like_canonical_operators(alias, value, expected):
    assert check(leaf("lead.score", alias, value)) is expected


@pytest.mark.parametrize(
    ("alias", "value", "expected"),
    [("starts_with", "Ada", True), ("ends_with", "Ada", False), ("regex_match", "^Ada", True)],
)
def test_text_aliases(alias, value, expected):
    assert check(leaf("lead.name", alias, value)) is expected


@pytest.mark.parametrize(
    ("operator", "value"),
    [
        ("eq", "paid"),
        ("ne", "PAID"),
        ("in", ["paid", "open"]),
        ("contains", "AI"),
        ("startswith", "pA"),
        ("endswith", "ID"),
        ("regex", "^paid$"),
    ],
)
def test_ignore_case_applies_to_text_operators(operator, value):
    expected = operator != "ne"
    assert check(leaf("status", operator, value, ignore_case=True)) is expected
    assert check(leaf("status", operator, value)) is not expected


@pytest.mark.parametrize("operator", sorted(OPERATORS - {"is_empty", "not_exists"}))
def test_missing_field_is_false_for_every_operator_but_is_empty_and_not_exists(operator):
    value = {"between": [1, 2], "in": [1], "not_in": [1], "regex": "."}.get(operator, 1)
    assert check(leaf("lead.nope", operator, value)) is False


@pytest.mark.parametrize("operator", ["is_empty", "not_exists"])
def test_missing_field_is_empty_and_does_not_exist(operator):
    assert check(leaf("lead.nope.deeper", operator)) is True


@pytest.mark.parametrize(
    ("field", "operator", "value"),
    [
        ("lead.score", "eq", "eighty"),
        ("lead.score", "ne", "eighty"),
        ("lead.score", "gt", "eighty"),
        ("lead.tags", "lt", 3),
        ("lead.score", "contains", "8"),
        ("lead.score", "not_contains", "8"),
        ("lead.tags", "startswith", "vip"),
        ("owner", "before", "2026-01-01"),
        ("status", "after", "2026-01-01"),
        ("status", "days_ago", 3),
        ("lead.score", "between", ["a", 3]),
        ("lead.score", "in", 85),
        ("lead.score", "not_in", 85),
        ("owner", "contains", ["unhashable"]),
        ("lead.tags", "regex", "vip"),
        ("flag", "gt", False),
        ("none", "gt", 1),
    ],
)
def test_type_mismatch_is_false_never_an_error(field, operator, value):
    assert check(leaf(field, operator, value)) is False


def test_regex_is_linear_time_on_catastrophic_pattern():
    context = {"text": "a" * 50_000 + "!"}
    started = time.perf_counter()
    assert evaluate_condition(leaf("text", "regex", "(a+)+$"), context, today=TODAY) is False
    assert time.perf_counter() - started < 5  # backtracking would take longer than the universe


TREE = {"and": [leaf("lead.score", "gte", 80), {"not": leaf("status", "eq", "Void")}]}
TYPED = {
    "type": "and",
    "conditions": [
        leaf("lead.score", "gte", 80),
        {"type": "not", "conditions": [leaf("status", "eq", "Void")]},
    ],
}
GROUPS = [
    {"operator": "AND", "rules": [leaf("lead.score", "gte", 80)]},
    {"operator": "OR", "rules": [leaf("status", "eq", "Void"), leaf("status", "eq", "Paid")]},
]
PLAIN_LIST = [leaf("lead.score", "gte", 80), leaf("status", "ne", "Void")]


@pytest.mark.parametrize("condition", [TREE, TYPED, GROUPS, PLAIN_LIST], ids=str)
def test_all_input_shapes_evaluate(condition):
    assert check(condition) is True
    tree = normalise_condition(condition)
    assert normalise_condition(tree) == tree  # idempotent on the canonical form


def test_typed_tree_normalises_to_canonical_tree():
    assert normalise_condition(TYPED) == {
        "and": [
            leaf("lead.score", "gte", 80, ignore_case=False),
            {"not": leaf("status", "eq", "Void", ignore_case=False)},
        ]
    }


def test_groups_are_combined_with_and():
    failing_group = [{"operator": "OR", "rules": [leaf("status", "eq", "Void")]}]
    assert check(GROUPS + failing_group) is False


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        (
            {
                "or": [
                    leaf("count", "eq", 1),
                    {"and": [leaf("count", "eq", 3), leaf("flag", "eq", True)]},
                ]
            },
            True,
        ),
        ({"not": {"or": [leaf("count", "eq", 1), leaf("count", "eq", 3)]}}, False),
        ({"and": []}, True),
        ({"or": []}, False),
        (
            {
                "type": "OR",
                "conditions": [
                    leaf("count", "eq", 9),
                    {"type": "not", "condition": leaf("count", "eq", 9)},
                ],
            },
            True,
        ),
    ],
)
def test_nested_logic(condition, expected):
    assert check(condition) is expected


@pytest.mark.parametrize("empty", [None, {}, []])
def test_empty_condition_is_always_true(empty):
    assert normalise_condition(empty) is None
    assert evaluate_condition(empty, {}, today=TODAY) is True


@pytest.mark.parametrize("field", ["{{invoice.reminder_count}}", "{{ invoice.reminder_count }}"])
def test_template_field_means_the_path(field):
    tree = normalise_condition(leaf(field, "gte", 2))
    assert tree is not None and tree["field"] == "invoice.reminder_count"
    assert evaluate_condition(tree, {"invoice": {"reminder_count": 2}}, today=TODAY) is True


def test_normalisation_collects_every_problem_with_its_path():
    condition = {
        "and": [
            leaf("a", "eq", 1),
            leaf("b", "frobnicate", 1),
            {"operator": "gt", "value": 1},
            leaf("c", "between", [1]),
            leaf("d", "regex", "(unclosed"),
            {"or": "not a list"},
            42,
            leaf("e", "days_ago", "soon"),
            leaf("f", "eq", 1, ignore_case="yes"),
        ]
    }
    with pytest.raises(DefinitionError) as error:
        normalise_condition(condition, "filter")
    paths = [problem.path for problem in error.value.problems]
    assert paths == [
        "filter.and[1].operator",
        "filter.and[2]",
        "filter.and[3].value",
        "filter.and[4].value",
        "filter.and[5].or",
        "filter.and[6]",
        "filter.and[7].value",
        "filter.and[8].ignore_case",
    ]


@pytest.mark.parametrize(
    ("condition", "path"),
    [
        ({"field": "", "operator": "eq"}, "when.field"),
        ({"field": "{{ a }} b", "operator": "eq"}, "when.field"),
        ([{"operator": "XOR", "rules": []}], "when[0].operator"),
        ({"and": [], "or": []}, "when"),
        ({"type": "and"}, "when.condition"),
        ("lead.score > 80", "when"),
    ],
)
def test_bad_shapes_are_reported_at_their_path(condition, path):
    with pytest.raises(DefinitionError) as error:
        normalise_condition(condition, "when")
    assert error.value.problems[0].path == path


def test_templated_values_are_left_for_evaluation_time():
    tree = normalise_condition(leaf("x", "regex", "{{ pattern }}"))
    assert tree is not None and tree["value"] == "{{ pattern }}"


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("lead.score", 85),
        ("items.0.sku", "A-1"),
        ("items.5.sku", MISSING),
        ("items.x", MISSING),
        ("lead.name.first", MISSING),
        ("none", None),
        ("nope", MISSING),
    ],
)
def test_get_path(path, expected):
    assert get_path(CONTEXT, path) == expected


def test_get_path_default_and_missing_is_falsy():
    assert get_path({}, "a.b", default="fallback") == "fallback"
    assert not MISSING


def test_a_unicode_digit_in_a_path_is_not_a_list_index():
    # "³".isdigit() is True but int("³") raises: such a path simply finds nothing.
    assert get_path({"items": [1, 2]}, "items.\u00b3", default=None) is None
    condition = {"field": "items.\u00b3", "operator": "not_exists"}
    assert evaluate_condition(condition, {"items": [1]}, today=date(2026, 1, 1))
