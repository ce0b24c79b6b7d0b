"""Warnings about the fields a definition's conditions read, against its event type's schema.

At run time a missing field or a type mismatch is simply false (SPEC §2.1): a misspelt field
silently never matches. When the trigger's event type has a schema, validation can say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from definitions.catalog import EventTypeSpec
from definitions.context import CUSTOM_ANSWERS, CUSTOM_PREFIX, RESERVED
from definitions.errors import Problem, join_path
from definitions.locating import locate
from definitions.models import Definition
from definitions.validation_values import condition_leaves

_ORDERED = frozenset({"gt", "gte", "lt", "lte", "between"})
_TEXTUAL = frozenset({"contains", "not_contains", "startswith", "endswith", "regex"})
_UNORDERABLE = frozenset({"boolean", "object", "array", "null"})


def schema_warnings(
    definition: Definition,
    spec: EventTypeSpec | None,
    field_paths: Mapping[str, str] | None = None,
) -> list[Problem]:
    """One warning per condition field the schema does not have or whose type the operator
    cannot compare; [] without a schema."""
    if spec is None or spec.schema_ is None:
        return []
    paths = field_paths or {}
    known = set(spec.derived)
    warnings = []
    for canonical, leaf in condition_leaves(definition):
        message = _leaf_message(leaf, spec.schema_, known, spec.type)
        if message:
            warnings.append(Problem(locate(paths, join_path(canonical, "field")), message))
    return warnings


def event_fields(spec: EventTypeSpec | None) -> frozenset[str] | None:
    """The top-level names an event of ``spec``'s type carries: its schema's properties and
    its derived fields; None when its data is not described (any name may be there)."""
    if spec is None or spec.schema_ is None:
        return None
    properties = spec.schema_.get("properties")
    if not isinstance(properties, dict):
        return None
    return frozenset(properties) | frozenset(spec.derived)


def _leaf_message(
    leaf: dict[str, Any], schema: dict[str, Any], derived: set[str], event_type: str
) -> str | None:
    field = leaf.get("field")
    if not isinstance(field, str):
        return None
    parts = field.split(".")
    if parts[:2] == ["event", "data"]:
        parts = parts[2:]
    elif parts[0] == "previous":
        parts = parts[1:]
    elif parts[0] in RESERVED or parts[0] == "loop":
        return None  # the engine's names: steps, vars, run… are checked elsewhere
    if not parts or parts[0] in derived:
        return None
    if parts[0].startswith(CUSTOM_PREFIX) and CUSTOM_ANSWERS in schema.get("properties", {}):
        return None  # one of the data's custom_answers (definitions.context)
    found = _resolve(schema, parts)
    if found is None:
        return f"{field!r} is not a field of {event_type} events (per its schema)"
    types = _types(found)
    operator = leaf.get("operator")
    if not types:
        return None
    if operator in _ORDERED and types <= _UNORDERABLE:
        return f"{field!r} is {_kind(types)}: {operator} compares numbers and instants"
    if operator in _TEXTUAL and types <= {"number", "integer", "boolean", "null"}:
        return f"{field!r} is {_kind(types)}: {operator} compares text"
    if operator in ("eq", "ne") and not _compatible(leaf.get("value"), types):
        return f"{field!r} is {_kind(types)}: it never equals {leaf.get('value')!r}"
    return None


def _resolve(schema: dict[str, Any], parts: list[str]) -> dict[str, Any] | None:
    """The subschema at ``parts``; None when a level lists its properties and lacks the name.
    A level that lists none (a free-form object) accepts any path below it."""
    current = schema
    for part in parts:
        if part.isascii() and part.isdigit() and isinstance(current.get("items"), dict):
            current = current["items"]
            continue
        properties = current.get("properties")
        if not isinstance(properties, dict):
            return {} if current.get("additionalProperties") is not False else None
        if part in properties and isinstance(properties[part], dict):
            current = properties[part]
        elif current.get("additionalProperties") not in (None, False, True):
            current = current["additionalProperties"]
        else:
            return None
    return current


def _types(schema: dict[str, Any]) -> set[str]:
    kind = schema.get("type")
    if isinstance(kind, str):
        return {kind}
    return {k for k in kind if isinstance(k, str)} if isinstance(kind, list) else set()


def _kind(types: set[str]) -> str:
    return " or ".join(sorted(types - {"null"}) or ["null"])


def _compatible(value: Any, types: set[str]) -> bool:
    if value is None or (isinstance(value, str) and "{{" in value):
        return True
    if isinstance(value, bool):
        return bool(types & {"boolean", "string"})
    if isinstance(value, int | float):
        return bool(types & {"number", "integer", "string"})
    if isinstance(value, str):
        numeric = value.strip().lstrip("-").replace(".", "", 1).isdigit()
        return bool(types & {"string"}) or (numeric and bool(types & {"number", "integer"}))
    return bool(types & {"object", "array"})
