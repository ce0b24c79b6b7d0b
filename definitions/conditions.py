"""Conditions (SPEC §2.1): three input shapes normalised to one tree, and its evaluator.

Canonical tree: ``{"and": [...]}``, ``{"or": [...]}``, ``{"not": {...}}`` and leaves
``{"field": "a.b", "operator": "gte", "value": 80, "ignore_case": False}``; ``None`` means always
true. Evaluation never raises on data: a missing field or a type mismatch is simply false.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Final

import re2

from definitions.durations import parse_instant
from definitions.errors import DefinitionError, Problem, join_path
from definitions.templates import has_expression


class _Missing(enum.Enum):
    MISSING = "MISSING"

    def __bool__(self) -> bool:
        return False


MISSING: Final = _Missing.MISSING
"""Returned by ``get_path`` when the path leads nowhere (distinct from a present ``None``)."""

OPERATORS: Final = frozenset(
    {"eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in", "contains", "not_contains",
     "startswith", "endswith", "is_empty", "is_not_empty", "exists", "not_exists", "regex",
     "before", "after", "between", "days_ago", "days_from_now", "changed"}
)  # fmt: skip

OPERATOR_ALIASES: Final[dict[str, str]] = {
    "equals": "eq", "==": "eq", "not_equals": "ne", "!=": "ne", "greater_than": "gt",
    "greater_than_or_equal": "gte", "less_than": "lt", "less_than_or_equal": "lte",
    "in_list": "in", "not_in_list": "not_in", "starts_with": "startswith",
    "ends_with": "endswith", "regex_match": "regex",
}  # fmt: skip

_LOGICAL = ("and", "or", "not")
_FIELD_TEMPLATE = re.compile(r"^\{\{\s*([^{}\s]+)\s*\}\}$")
_INDEX = re.compile(r"\[(\d+)\]")
_NUMERIC = re.compile(r"^\s*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$")


def get_path(context: Any, path: str, default: Any = MISSING) -> Any:
    """Follow a dot path (``"items.0.sku"``) through mappings and lists; ``default`` if absent."""
    current = context
    for part in path.split("."):
        if isinstance(current, Mapping):
            if part not in current:
                return default
            current = current[part]
        elif isinstance(current, Sequence) and not isinstance(current, str | bytes):
            if not (part.isascii() and part.isdigit()) or int(part) >= len(current):
                return default
            current = current[int(part)]
        else:
            return default
    return current


# --------------------------------------------------------------------------- normalisation


def normalise_condition(condition: Any, path: str = "") -> dict[str, Any] | None:
    """Rewrite any accepted condition shape to the canonical tree (``None`` = always true).

    Idempotent on canonical trees. Every problem found is reported at once, with its path.
    """
    if condition is None or condition == {} or condition == []:
        return None
    problems: list[Problem] = []
    tree = _normalise(condition, path, problems)
    if problems:
        raise DefinitionError(problems)
    return tree


def _normalise(node: Any, path: str, problems: list[Problem]) -> dict[str, Any]:
    if isinstance(node, list):  # a plain list and a list of groups both mean AND
        return {
            "and": [_normalise(item, join_path(path, i), problems) for i, item in enumerate(node)]
        }
    if not isinstance(node, Mapping):
        problems.append(Problem(path, f"expected a condition object or list, got {node!r}"))
        return {"and": []}
    logical = [key for key in _LOGICAL if key in node]
    if len(logical) > 1:
        problems.append(Problem(path, f"use only one of {logical} in a condition node"))
        return {"and": []}
    if logical:
        return _logical(logical[0], node[logical[0]], join_path(path, logical[0]), problems)
    kind = node.get("type")
    if isinstance(kind, str) and kind.lower() in _LOGICAL:
        key = "conditions" if "conditions" in node else "condition"
        return _logical(kind.lower(), node.get(key), join_path(path, key), problems)
    if "rules" in node:
        operator = str(node.get("operator", "AND")).lower()
        if operator not in ("and", "or"):
            problems.append(
                Problem(join_path(path, "operator"), 'a group operator is "AND" or "OR"')
            )
        return _logical(operator, node["rules"], join_path(path, "rules"), problems)
    if "field" in node:
        return _leaf(node, path, problems)
    problems.append(
        Problem(path, "a condition needs and/or/not, a type with conditions, rules, or a field")
    )
    return {"and": []}


def _logical(kind: str, children: Any, path: str, problems: list[Problem]) -> dict[str, Any]:
    if kind == "not":
        if isinstance(children, list):  # typed form: {"type": "not", "conditions": [c]}
            inner = children[0] if len(children) == 1 else children
            sub = join_path(path, 0) if len(children) == 1 else path
            return {"not": _normalise(inner, sub, problems)}
        return {"not": _normalise(children, path, problems)}
    if not isinstance(children, list):
        problems.append(Problem(path, f'"{kind}" takes a list of conditions'))
        return {"and": []}
    return {
        "or" if kind == "or" else "and": [
            _normalise(child, join_path(path, i), problems) for i, child in enumerate(children)
        ]
    }


def _leaf(node: Mapping[str, Any], path: str, problems: list[Problem]) -> dict[str, Any]:
    before = len(problems)
    field = node.get("field")
    if isinstance(field, str):
        template = _FIELD_TEMPLATE.match(field.strip())
        field = _INDEX.sub(r".\1", template.group(1) if template else field.strip())
    if not isinstance(field, str) or not field or "{" in field:
        problems.append(Problem(join_path(path, "field"), "a field is a dot path like lead.score"))
    raw = node.get("operator")
    operator = raw.strip().lower() if isinstance(raw, str) else raw
    operator = OPERATOR_ALIASES.get(operator, operator) if isinstance(operator, str) else None
    if operator not in OPERATORS:
        problems.append(Problem(join_path(path, "operator"), f"unknown operator {raw!r}"))
    value = node.get("value")
    value_path = join_path(path, "value")
    if operator == "between" and not (isinstance(value, list) and len(value) == 2):
        problems.append(Problem(value_path, "between takes a list of two values [low, high]"))
    elif operator == "regex":
        problem = _regex_problem(value)
        if problem:
            problems.append(Problem(value_path, problem))
    elif (
        operator in ("days_ago", "days_from_now")
        and _number(value) is None
        and not has_expression(value)
    ):
        problems.append(Problem(value_path, f"{operator} takes a number of days"))
    ignore_case = node.get("ignore_case", False)
    if not isinstance(ignore_case, bool):
        problems.append(Problem(join_path(path, "ignore_case"), "ignore_case is true or false"))
    if len(problems) > before:
        return {"and": []}
    return {"field": field, "operator": operator, "value": value, "ignore_case": ignore_case}


def _regex_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return "regex takes a pattern string"
    if has_expression(value):
        return None
    try:
        _compiled(value, False)
    except re2.error as exc:
        return f"invalid regular expression: {exc}"
    return None


@functools.lru_cache(maxsize=512)
def _compiled(pattern: str, ignore_case: bool) -> Any:
    options = re2.Options()
    options.log_errors = False  # errors are reported as Problems, not printed to stderr
    options.case_sensitive = not ignore_case
    return re2.compile(pattern, options)


# --------------------------------------------------------------------------- evaluation


def evaluate_condition(
    condition: Mapping[str, Any] | list[Any] | None, context: Mapping[str, Any], *, today: date
) -> bool:
    """Evaluate a condition (any accepted shape) against the run context.

    ``today`` is the caller's, so the result is deterministic. Data never makes this raise; an
    invalid condition raises ``DefinitionError`` (validation should have caught it earlier).
    """
    tree = normalise_condition(condition)
    return True if tree is None else _evaluate(tree, context, today)


def _evaluate(node: Mapping[str, Any], context: Mapping[str, Any], today: date) -> bool:
    if "and" in node:
        return all(_evaluate(child, context, today) for child in node["and"])
    if "or" in node:
        return any(_evaluate(child, context, today) for child in node["or"])
    if "not" in node:
        return not _evaluate(node["not"], context, today)
    actual = get_path(context, node["field"])
    operator, expected, fold = node["operator"], node["value"], node["ignore_case"]
    if operator in ("not_exists", "exists"):
        return (actual is MISSING or actual is None) == (operator == "not_exists")
    if operator == "is_empty":
        return _is_empty(actual)
    if actual is MISSING:
        return False
    if operator == "is_not_empty":
        return not _is_empty(actual)
    if operator == "changed":
        previous = get_path(context, "previous." + node["field"])
        return previous is not MISSING and not _equal(actual, previous, fold)
    if operator in ("days_ago", "days_from_now"):
        return _days(actual, expected, today, operator == "days_ago")
    try:
        return _COMPARE[operator](actual, expected, fold)
    except (TypeError, ValueError, OverflowError):
        return False  # data of a shape the operator cannot use: false, never an error


def _is_empty(value: Any) -> bool:
    if value is MISSING or value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    return isinstance(value, list | tuple | dict | set) and not value


def _number(value: Any) -> int | float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str) and len(value) < 50 and _NUMERIC.match(value):
        text = value.strip()
        return float(text) if any(c in text for c in ".eE") else int(text)
    return None


def _instant(value: Any) -> datetime | None:
    if isinstance(value, date):
        return parse_instant(value)
    if isinstance(value, str) and value[:4].isdigit():
        try:
            return parse_instant(value)
        except DefinitionError:
            return None
    return None


def _coerce(a: Any, b: Any, fold: bool) -> tuple[Any, Any] | None:
    """The two values in one comparable kind (number, instant, text, bool), or None."""
    if isinstance(a, bool) or isinstance(b, bool):
        a, b = _as_bool(a), _as_bool(b)
        return (a, b) if isinstance(a, bool) and isinstance(b, bool) else None
    x, y = _number(a), _number(b)
    if x is not None and y is not None:
        return x, y
    p, q = _instant(a), _instant(b)
    if p is not None and q is not None:
        return p, q
    if isinstance(a, str) and isinstance(b, str):
        return (a.casefold(), b.casefold()) if fold else (a, b)
    return None


def _as_bool(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value


def _equal(a: Any, b: Any, fold: bool) -> bool:
    pair = _coerce(a, b, fold)
    if pair is not None:
        return bool(pair[0] == pair[1])
    # Same-kind structures (lists, objects, null) compare as they are; other mixes are unequal.
    return type(a) is type(b) and bool(a == b)


def _not_equal(a: Any, b: Any, fold: bool) -> bool:
    # A type mismatch is false for ne too (SPEC §2.1), so ne is not simply "not eq".
    comparable = _coerce(a, b, fold) is not None or type(a) is type(b)
    return comparable and not _equal(a, b, fold)


def _ordered(check: Callable[[Any, Any], bool]) -> Callable[[Any, Any, bool], bool]:
    def compare(a: Any, b: Any, fold: bool) -> bool:
        pair = _coerce(a, b, fold)
        return pair is not None and not isinstance(pair[0], bool) and check(*pair)

    return compare


def _instants(check: Callable[[datetime, datetime], bool]) -> Callable[[Any, Any, bool], bool]:
    def compare(a: Any, b: Any, fold: bool) -> bool:
        p, q = _instant(a), _instant(b)
        return p is not None and q is not None and check(p, q)

    return compare


def _members(value: Any) -> list[Any] | None:
    if isinstance(value, list | tuple | set | frozenset):
        return list(value)
    if isinstance(value, str):
        return [item.strip() for item in value.split(",")]
    return None


def _in(a: Any, b: Any, fold: bool) -> bool:
    members = _members(b)
    return members is not None and any(_equal(a, m, fold) for m in members)


def _not_in(a: Any, b: Any, fold: bool) -> bool:
    members = _members(b)
    return members is not None and not any(_equal(a, m, fold) for m in members)


def _text(a: Any, b: Any, fold: bool) -> tuple[str, str] | None:
    if not isinstance(a, str) or isinstance(b, bool) or not isinstance(b, str | int | float):
        return None
    b = str(b)
    return (a.casefold(), b.casefold()) if fold else (a, b)


def _contains(a: Any, b: Any, fold: bool) -> bool | None:
    """True/False where ``contains`` applies to the types, None where it does not."""
    if isinstance(a, list | tuple | set | frozenset):
        return any(_equal(item, b, fold) for item in a)
    if isinstance(a, Mapping):
        return b in a
    pair = _text(a, b, fold)
    return None if pair is None else pair[1] in pair[0]


def _regex(a: Any, b: Any, fold: bool) -> bool:
    if isinstance(a, int | float) and not isinstance(a, bool):
        a = str(a)
    if not isinstance(a, str) or not isinstance(b, str):
        return False
    try:
        return _compiled(b, fold).search(a) is not None
    except re2.error:
        return False


def _between(a: Any, b: Any, fold: bool) -> bool:
    if not isinstance(b, list | tuple) or len(b) != 2:
        return False
    return _GTE(a, b[0], fold) and _LTE(a, b[1], fold)


def _days(actual: Any, expected: Any, today: date, ago: bool) -> bool:
    moment, days = _instant(actual), _number(expected)
    if moment is None or days is None:
        return False
    day = moment.date()
    try:
        return day <= today - timedelta(days=days) if ago else day >= today + timedelta(days=days)
    except OverflowError:
        return False


_GTE = _ordered(lambda x, y: x >= y)
_LTE = _ordered(lambda x, y: x <= y)


def _affix(check: Callable[[str, str], bool]) -> Callable[[Any, Any, bool], bool]:
    def compare(a: Any, b: Any, fold: bool) -> bool:
        pair = _text(a, b, fold)
        return pair is not None and check(*pair)

    return compare


_COMPARE: dict[str, Callable[[Any, Any, bool], bool]] = {
    "eq": _equal,
    "ne": _not_equal,
    "gt": _ordered(lambda x, y: x > y),
    "gte": _GTE,
    "lt": _ordered(lambda x, y: x < y),
    "lte": _LTE,
    "in": _in,
    "not_in": _not_in,
    "contains": lambda a, b, fold: _contains(a, b, fold) is True,
    "not_contains": lambda a, b, fold: _contains(a, b, fold) is False,
    "startswith": _affix(str.startswith),
    "endswith": _affix(str.endswith),
    "regex": _regex,
    "before": _instants(lambda p, q: p < q),
    "after": _instants(lambda p, q: p > q),
    "between": _between,
}
