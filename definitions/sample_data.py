"""Sample event data from a JSON Schema, for simulating a workflow nobody gave an event to.

Pure and deterministic: the same schema always gives the same data (no clock, no randomness),
so a simulation without an event is repeatable. Values follow the schema's own hints first —
``const``, ``default``, ``examples``, ``enum`` — then its ``format``, bounds and, for strings
without a format, the property's name (``invitee_email`` gets an address).
"""

from __future__ import annotations

from typing import Any

from definitions.models import Trigger

SAMPLE_INSTANT = "2030-01-15T10:00:00+00:00"
"""The instant sample dates and times use: in the future, so ``until`` waits have a wait."""

_FORMATS: dict[str, Any] = {
    "email": "ann@example.com",
    "idn-email": "ann@example.com",
    "date-time": SAMPLE_INSTANT,
    "date": SAMPLE_INSTANT[:10],
    "time": SAMPLE_INSTANT[11:],
    "uri": "https://example.com/",
    "url": "https://example.com/",
    "iri": "https://example.com/",
    "hostname": "example.com",
    "ipv4": "192.0.2.10",
    "ipv6": "2001:db8::10",
    "uuid": "00000000-0000-4000-8000-000000000001",
    "duration": "P1D",
    "phone": "+15550001234",
}
# Name fragments → a format, for strings whose schema names none (checked in this order).
_NAMED: tuple[tuple[str, str], ...] = (
    ("email", "email"),
    ("phone", "phone"),
    ("url", "uri"),
    ("link", "uri"),
    ("_at", "date-time"),
    ("time", "date-time"),
    ("date", "date"),
    ("uuid", "uuid"),
)
_MAX_DEPTH = 12


def sample_from_schema(schema: Any, name: str = "value") -> Any:
    """A value that ``schema`` accepts (best effort: every ``required`` property is present,
    and so is every other one described). ``name`` is the property's name, used as a hint."""
    return _sample(schema, name, schema if isinstance(schema, dict) else {}, 0)


def trigger_sample(trigger: Trigger, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    """The event data to simulate ``trigger`` with when none is given.

    ``schema`` is the event type's JSON Schema when the caller knows it (the event catalog); else
    the trigger's own ``sample`` data, else a sample of its ``schema``, else no data.
    """
    extra = trigger.model_extra or {}
    if schema is None and isinstance(extra.get("sample"), dict):
        return dict(extra["sample"])
    schema = schema if schema is not None else extra.get("schema")
    if not isinstance(schema, dict):
        return {}
    data = sample_from_schema(schema, "data")
    return data if isinstance(data, dict) else {}


def _sample(schema: Any, name: str, root: dict[str, Any], depth: int) -> Any:
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if "$ref" in schema:
        return _sample(_resolve(root, schema["$ref"]), name, root, depth + 1)
    for hint in ("const", "default"):
        if hint in schema:
            return schema[hint]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    if isinstance(schema.get("allOf"), list):
        merged: dict[str, Any] = {}
        for part in schema["allOf"]:
            value = _sample(part, name, root, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
        own = {k: v for k, v in schema.items() if k != "allOf"}
        value = _sample(own, name, root, depth + 1) if "properties" in own else {}
        return {**merged, **value} if isinstance(value, dict) else merged or value
    for choice in ("anyOf", "oneOf"):
        if isinstance(schema.get(choice), list) and schema[choice]:
            options = [o for o in schema[choice] if not (isinstance(o, dict) and _is_null(o))]
            return _sample((options or schema[choice])[0], name, root, depth + 1)
    kind = _type_of(schema)
    if kind == "object":
        properties = schema.get("properties") or {}
        return {
            key: _sample(sub, key, root, depth + 1)
            for key, sub in properties.items()
            if isinstance(key, str)
        }
    if kind == "array":
        count = max(1, int(schema.get("minItems") or 1))
        return [_sample(schema.get("items") or {}, name, root, depth + 1) for _ in range(count)]
    if kind == "integer":
        return int(_number(schema, 1))
    if kind == "number":
        return _number(schema, 1.5)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return _string(schema, name)


def _type_of(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if isinstance(kind, str):
        return kind
    if "properties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "string"


def _is_null(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null"


def _number(schema: dict[str, Any], fallback: float) -> float:
    low = schema.get("minimum", schema.get("exclusiveMinimum"))
    high = schema.get("maximum", schema.get("exclusiveMaximum"))
    value = fallback
    if isinstance(low, int | float) and not isinstance(low, bool):
        value = low + (1 if "exclusiveMinimum" in schema and "minimum" not in schema else 0)
    elif isinstance(high, int | float) and not isinstance(high, bool):
        value = min(fallback, high - (1 if "exclusiveMaximum" in schema else 0))
    return value


def _string(schema: dict[str, Any], name: str) -> str:
    format_ = schema.get("format")
    if not isinstance(format_, str):
        lowered = name.lower()
        format_ = next((f for fragment, f in _NAMED if fragment in lowered), None)
    text = _FORMATS.get(format_ or "", f"sample {name}")
    minimum = schema.get("minLength")
    maximum = schema.get("maxLength")
    if isinstance(minimum, int) and len(text) < minimum:
        text += "x" * (minimum - len(text))
    if isinstance(maximum, int) and len(text) > maximum:
        text = text[:maximum]
    return str(text)


def _resolve(root: dict[str, Any], reference: Any) -> Any:
    """A local ``#/$defs/Name`` (or ``#/definitions/Name``) reference; None otherwise."""
    if not isinstance(reference, str) or not reference.startswith("#/"):
        return None
    target: Any = root
    for part in reference[2:].split("/"):
        if not isinstance(target, dict):
            return None
        target = target.get(part.replace("~1", "/").replace("~0", "~"))
    return target
