"""What each condition operator compares, in words and kinds, for editors (the builder's
condition widget offers a field only the operators that can hold for its kind).

The evaluator (``definitions.conditions``) is the authority on semantics; this table describes it:
``kinds`` are the kinds of field an operator is meant for (it is simply false on others, SPEC
§2.1), ``value`` the shape of what it compares with. A test keeps the table and ``OPERATORS``
equal, so a new operator cannot reach the language without reaching the editors.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Final, Literal

from definitions.durations import parse_instant
from definitions.errors import DefinitionError
from definitions.templates import is_template

Kind = Literal["text", "number", "bool", "instant", "list", "object"]
"""The kinds of value a field holds; the same words validation's warnings use."""
ValueShape = Literal["none", "one", "list", "pair", "days", "pattern"]
"""What the operator's ``value`` is: nothing, one value of the field's kind, a list of them, a
``[low, high]`` pair, a number of days, a regular expression."""

KINDS: Final[tuple[Kind, ...]] = ("text", "number", "bool", "instant", "list", "object")
_SCALARS: Final[tuple[Kind, ...]] = ("text", "number", "bool", "instant")


@dataclass(frozen=True)
class OperatorGuide:
    name: str
    label: str
    kinds: tuple[Kind, ...]
    value: ValueShape
    ignore_case: bool = False
    """Whether ``ignore_case`` changes what it does (it compares text)."""


OPERATOR_GUIDES: Final[tuple[OperatorGuide, ...]] = (
    OperatorGuide("eq", "equals", KINDS, "one", ignore_case=True),
    OperatorGuide("ne", "does not equal", KINDS, "one", ignore_case=True),
    OperatorGuide("gt", "is greater than", ("number", "instant"), "one"),
    OperatorGuide("gte", "is at least", ("number", "instant"), "one"),
    OperatorGuide("lt", "is less than", ("number", "instant"), "one"),
    OperatorGuide("lte", "is at most", ("number", "instant"), "one"),
    OperatorGuide("between", "is between", ("number", "instant"), "pair"),
    OperatorGuide("in", "is one of", ("text", "number", "instant"), "list", ignore_case=True),
    OperatorGuide("not_in", "is none of", ("text", "number", "instant"), "list", ignore_case=True),
    OperatorGuide("contains", "contains", ("text", "list", "object"), "one", ignore_case=True),
    OperatorGuide(
        "not_contains", "does not contain", ("text", "list", "object"), "one", ignore_case=True
    ),
    OperatorGuide("startswith", "starts with", ("text",), "one", ignore_case=True),
    OperatorGuide("endswith", "ends with", ("text",), "one", ignore_case=True),
    OperatorGuide("regex", "matches the pattern", ("text", "number"), "pattern", ignore_case=True),
    OperatorGuide("before", "is before", ("instant",), "one"),
    OperatorGuide("after", "is after", ("instant",), "one"),
    OperatorGuide("days_ago", "is at least N days ago", ("instant",), "days"),
    OperatorGuide("days_from_now", "is at least N days from now", ("instant",), "days"),
    OperatorGuide("is_empty", "is empty", ("text", "list", "object"), "none"),
    OperatorGuide("is_not_empty", "is not empty", ("text", "list", "object"), "none"),
    OperatorGuide("exists", "exists", KINDS, "none"),
    OperatorGuide("not_exists", "does not exist", KINDS, "none"),
    OperatorGuide("changed", "changed (from previous)", _SCALARS, "none"),
)


def operator_catalog() -> list[dict[str, Any]]:
    """The table as JSON, in the order an editor lists it."""
    return [asdict(guide) for guide in OPERATOR_GUIDES]


def value_kind(value: Any) -> Kind | Literal["null"] | None:
    """The kind of a literal value: numeric strings are numbers and ISO-8601 strings instants,
    as the evaluator compares them; None for a template (known only when the step runs)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return "object"
    if isinstance(value, str):
        if is_template(value):
            return None
        try:
            float(value)
        except ValueError:
            pass
        else:
            return "number"
        if value[:4].isdigit():
            try:
                parse_instant(value)
            except DefinitionError:
                return "text"
            return "instant"
        return "text"
    return None
