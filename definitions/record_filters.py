"""The record store's filter language, parsed into checked clauses (pure: no database here).

``{"status": "overdue", "days_overdue": {"$gte": 7}, "owner.email": {"$exists": true}}`` — every
key a dotted path into a record (its data, or ``id``, ``tags``, ``lists``, ``created_at``,
``updated_at``), every value either a plain value (``$eq``) or an object of operators. The
clauses of a filter are combined with AND. ``field__gte`` (the CRM document's spelling) means
``{"field": {"$gte": …}}``.

Values compare like with like: a number matches numbers, a string strings (ISO-8601 instants
as strings order chronologically), so a type mismatch never matches rather than failing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from definitions.errors import DefinitionError, Problem, join_path

OPERATORS = frozenset({"eq", "ne", "gt", "gte", "lt", "lte", "in", "nin", "contains", "exists"})
MAX_CLAUSES = 50
MAX_IN_VALUES = 500
MAX_DEPTH = 10
"""Segments a field path may have."""
_SEGMENT = re.compile(r"[\w\- ]+")
"""A field name: letters, digits, ``_``, ``-`` and spaces (no quoting needed in a JSON path)."""

Scalar = str | int | float | bool | None


@dataclass(frozen=True)
class Clause:
    """One condition on one field: ``operator`` applied with ``value``."""

    field: str
    """As written: ``owner.email``."""
    path: tuple[str, ...]
    operator: str
    value: Any


@dataclass(frozen=True)
class SortKey:
    field: str
    path: tuple[str, ...]
    descending: bool = False


def parse_filter(document: Any, path: str = "filter") -> list[Clause]:
    """The clauses of ``document`` (None or ``{}``: no clause); raises ``DefinitionError`` with
    every problem at its path (``filter.score.$gte``)."""
    if document is None:
        return []
    if not isinstance(document, dict):
        raise DefinitionError.at(path, "a filter is an object of field: value or {$operator: v}")
    if len(document) > MAX_CLAUSES:
        raise DefinitionError.at(path, f"a filter has at most {MAX_CLAUSES} fields")
    clauses: list[Clause] = []
    problems: list[Problem] = []
    for key, value in document.items():
        where = join_path(path, str(key))
        field, suffix = _split_suffix(str(key))
        try:
            field_path = parse_field(field, where)
            if suffix is not None:
                clauses.append(_clause(field, field_path, suffix, value, where))
            elif isinstance(value, dict):
                clauses += _operator_clauses(field, field_path, value, where)
            else:
                clauses.append(_clause(field, field_path, "eq", value, where))
        except DefinitionError as exc:
            problems += exc.problems
    if problems:
        raise DefinitionError(problems)
    return clauses


def parse_field(field: str, path: str) -> tuple[str, ...]:
    """``"owner.email"`` → ``("owner", "email")``."""
    if field.startswith("$"):
        raise DefinitionError.at(
            path, f"unknown operator {field!r}: a filter's keys are field paths"
        )
    segments = tuple(field.split("."))
    if not field or not all(_SEGMENT.fullmatch(segment) for segment in segments):
        raise DefinitionError.at(path, f"{field!r} is not a field path (like 'owner.email')")
    if len(segments) > MAX_DEPTH or len(field) > 200:
        raise DefinitionError.at(path, f"a field path has at most {MAX_DEPTH} parts")
    return segments


def parse_sort(text: Any, path: str = "sort") -> SortKey | None:
    """``"-created_at"`` (newest first), ``"score"``; None when not given."""
    if text in (None, ""):
        return None
    if not isinstance(text, str):
        raise DefinitionError.at(path, "sort is a field path, '-' in front for descending")
    descending = text.startswith("-")
    field = text[1:] if descending else text.removeprefix("+")
    return SortKey(field, parse_field(field, path), descending)


def _split_suffix(key: str) -> tuple[str, str | None]:
    field, sep, suffix = key.rpartition("__")
    if sep and field and suffix in OPERATORS:
        return field, suffix
    return key, None


def _operator_clauses(
    field: str, field_path: tuple[str, ...], operators: dict[str, Any], where: str
) -> list[Clause]:
    if not operators:
        raise DefinitionError.at(where, "an empty object compares with nothing: give $operators")
    clauses: list[Clause] = []
    problems: list[Problem] = []
    for name, value in operators.items():
        at = join_path(where, str(name))
        if not str(name).startswith("$"):
            problems.append(
                Problem(at, "compare with operators ($eq, $gt, $in…); objects are not values")
            )
            continue
        try:
            clauses.append(_clause(field, field_path, str(name)[1:], value, at))
        except DefinitionError as exc:
            problems += exc.problems
    if problems:
        raise DefinitionError(problems)
    return clauses


def _clause(field: str, field_path: tuple[str, ...], op: str, value: Any, where: str) -> Clause:
    if op not in OPERATORS:
        known = ", ".join(f"${name}" for name in sorted(OPERATORS))
        raise DefinitionError.at(where, f"unknown operator ${op} ({known})")
    if op in ("eq", "ne") and not _is_scalar(value):
        raise DefinitionError.at(where, f"${op} takes a string, number, boolean or null")
    if op in ("gt", "gte", "lt", "lte") and not _is_ordered(value):
        raise DefinitionError.at(where, f"${op} takes a number or a string")
    if op in ("in", "nin"):
        if not isinstance(value, list) or not value:
            raise DefinitionError.at(where, f"${op} takes a non-empty list")
        if len(value) > MAX_IN_VALUES:
            raise DefinitionError.at(where, f"${op} takes at most {MAX_IN_VALUES} values")
        for index, item in enumerate(value):
            if not _is_scalar(item):
                raise DefinitionError.at(
                    join_path(where, index), "a list item is a string, number, boolean or null"
                )
    if op == "contains" and (value is None or not _is_scalar(value)):
        raise DefinitionError.at(where, "$contains takes a string, number or boolean")
    if op == "exists" and not isinstance(value, bool):
        raise DefinitionError.at(where, "$exists takes true or false")
    return Clause(field, field_path, op, value)


def _is_scalar(value: Any) -> bool:
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    return value is None or isinstance(value, str | int | bool)


def _is_ordered(value: Any) -> bool:
    return not isinstance(value, bool) and value is not None and _is_scalar(value)
