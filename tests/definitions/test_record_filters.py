"""The record filter language: what parses, and every refusal with its path."""

from __future__ import annotations

from typing import Any

import pytest

from definitions.errors import DefinitionError
from definitions.record_filters import Clause, SortKey, parse_filter, parse_sort


def test_plain_values_and_operators_become_clauses() -> None:
    clauses = parse_filter(
        {"status": "overdue", "days_overdue": {"$gte": 7, "$lt": 30}, "owner.email": {"$exists": True},
         "created_at__gte": "2026-01-01"}
    )  # fmt: skip
    assert clauses == [
        Clause("status", ("status",), "eq", "overdue"),
        Clause("days_overdue", ("days_overdue",), "gte", 7),
        Clause("days_overdue", ("days_overdue",), "lt", 30),
        Clause("owner.email", ("owner", "email"), "exists", True),
        Clause("created_at", ("created_at",), "gte", "2026-01-01"),
    ]
    assert parse_filter(None) == [] and parse_filter({}) == []


@pytest.mark.parametrize(
    ("document", "path", "message"),
    [
        ([1], "filter", "a filter is an object"),
        ({"$or": [{"a": 1}]}, "filter.$or", "unknown operator '$or'"),
        ({"a": {"$regex": "x"}}, "filter.a.$regex", "unknown operator $regex"),
        ({"a": {"gte": 1}}, "filter.a.gte", "objects are not values"),
        ({"a": {}}, "filter.a", "give $operators"),
        ({"a": {"$gt": True}}, "filter.a.$gt", "takes a number or a string"),
        ({"a": {"$gt": None}}, "filter.a.$gt", "takes a number or a string"),
        ({"a": {"$eq": [1]}}, "filter.a.$eq", "string, number, boolean or null"),
        ({"a": {"$in": []}}, "filter.a.$in", "non-empty list"),
        ({"a": {"$nin": "x"}}, "filter.a.$nin", "non-empty list"),
        ({"a": {"$in": [1, {"b": 2}]}}, "filter.a.$in[1]", "a list item"),
        ({"a": {"$contains": None}}, "filter.a.$contains", "string, number or boolean"),
        ({"a": {"$exists": "yes"}}, "filter.a.$exists", "true or false"),
        ({"a..b": 1}, "filter.a..b", "is not a field path"),
        ({'a"b': 1}, 'filter.a"b', "is not a field path"),
        ({"a": float("nan")}, "filter.a", "string, number, boolean or null"),
    ],
)
def test_refusals_name_their_path(document: Any, path: str, message: str) -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_filter(document)
    [problem] = caught.value.problems
    assert problem.path == path
    assert message in problem.message


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(DefinitionError) as caught:
        parse_filter({"a": {"$gt": [], "$in": 1}, "b": {"$exists": 1}})
    assert [p.path for p in caught.value.problems] == [
        "filter.a.$gt",
        "filter.a.$in",
        "filter.b.$exists",
    ]


def test_sort_keys() -> None:
    assert parse_sort("-created_at") == SortKey("created_at", ("created_at",), True)
    assert parse_sort("owner.name") == SortKey("owner.name", ("owner", "name"), False)
    assert parse_sort(None) is None
    with pytest.raises(DefinitionError):
        parse_sort("-")
