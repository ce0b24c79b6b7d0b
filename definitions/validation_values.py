"""Checks on literal values that can be judged before any run: comparisons that can never hold,
URLs the outbound policy refuses, delays that go backwards.

A condition comparing a number with text is simply false at run time (SPEC §2.1), and an
``http_request`` to 127.0.0.1 fails only when it runs: both are reported here when the document
itself shows them — a literal in a condition, a field typed by the trigger's own ``sample`` data
or ``schema``, a URL without a template. Both are warnings (the data may differ from the sample;
``RELAY_OUTBOUND_ALLOW`` may open an address); a negative delay is an error.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from definitions.addresses import refusal_reason
from definitions.condition_operators import value_kind
from definitions.durations import parse_duration
from definitions.errors import DefinitionError, Problem, join_path
from definitions.locating import locate
from definitions.models import Definition
from definitions.nodes import node_type
from definitions.sample_data import trigger_sample
from definitions.templates import is_template

Where = Callable[[str], str]
_MISSING = object()

_ORDERED = frozenset({"gt", "gte", "lt", "lte"})
_EQUALITY = frozenset({"eq", "ne"})
_INSTANT_OPERATORS = frozenset({"before", "after"})
_ENGINE_NAMES = frozenset({"steps", "vars", "loop", "now", "today", "workflow", "run", "previous"})


# --------------------------------------------------------------------------- errors


def value_problems(definition: Definition, where: Where) -> list[Problem]:
    """Errors: a trigger ``delay`` (its leading wait) that is negative."""
    start = getattr(definition.trigger, "start", None)
    duration = start.get("duration") if isinstance(start, dict) else None
    if duration is None or is_template(duration):
        return []
    try:
        amount = parse_duration(duration)
    except DefinitionError:
        return []  # reported by the trigger's own checks
    if amount < timedelta(0):
        return [Problem(where("trigger.start.duration"), "a delay cannot be negative")]
    return []


# --------------------------------------------------------------------------- warnings


def value_warnings(
    definition: Definition, field_paths: Mapping[str, str] | None = None
) -> list[Problem]:
    """Warnings: comparisons that can never hold, and URLs outbound HTTP would refuse."""
    paths = field_paths or {}
    sample = _sample_of(definition)
    warnings = []
    for canonical, leaf in condition_leaves(definition):
        message = mismatch(leaf, sample)
        if message:
            warnings.append(Problem(locate(paths, join_path(canonical, "value")), message))
    for index, node in enumerate(definition.nodes):
        url = node.config.get("url")
        message = refused_url(url) if isinstance(url, str) else None
        if message:
            warnings.append(Problem(locate(paths, f"nodes[{index}].config.url"), message))
    return warnings


def refused_url(url: str) -> str | None:
    """Why outbound HTTP would refuse ``url`` whatever it resolves to, or None: its host is
    ``localhost`` or a literal address that is not public. Templates are judged at run time."""
    if "{{" in url or "{%" in url:
        return None
    try:
        host = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return None
    if host == "localhost" or host.endswith(".localhost"):
        reason: str | None = "loopback"
    else:
        address = _literal_address(host)
        reason = refusal_reason(address) if address is not None else None
    if reason is None:
        return None
    return (
        f"{host} is a {reason} address: outbound HTTP refuses it unless RELAY_OUTBOUND_ALLOW "
        "opens it"
    )


def mismatch(leaf: dict[str, Any], sample: Any) -> str | None:
    """Why a condition leaf can never hold, judged from its literal ``value`` and the kind of
    value its ``field`` has in ``sample`` (the trigger's sample data); None when it may."""
    operator, value = leaf.get("operator"), leaf.get("value")
    if is_template(value) or operator not in _ORDERED | _EQUALITY | _INSTANT_OPERATORS:
        return None  # between's [low, high] shape is checked as the condition normalises
    field = leaf.get("field")
    given = value_kind(value)
    found = _lookup(sample, field) if isinstance(field, str) else _MISSING
    field_kind = None if found is _MISSING else value_kind(found)
    if operator in _ORDERED and given in ("bool", "list", "object", "null"):
        return f"{operator} compares numbers, instants or text, not {_shown(value)}: never true"
    if operator in _INSTANT_OPERATORS and given not in ("instant", None):
        return f"{operator} compares instants, and {_shown(value)} is not one: never true"
    if field_kind is None or given is None:
        return None
    if operator in _INSTANT_OPERATORS:
        clash = field_kind != "instant"
    elif operator in _ORDERED:
        clash = field_kind == "bool" or _clash(field_kind, given)
    else:  # eq / ne: a mismatch is false for both
        clash = _clash(field_kind, given)
    if not clash:
        return None
    return (
        f"{field} is {_article(field_kind)} in the trigger's sample data, and {_shown(value)} "
        f"is {_article(given)}: {operator} between them is never true"
    )


def _clash(a: str, b: str) -> bool:
    """Kinds the evaluator cannot bring together (numbers, instants and text each stay apart,
    except that any two texts compare)."""
    comparable = {("number", "number"), ("instant", "instant"), ("text", "text")}
    comparable |= {("instant", "text"), ("text", "instant")}  # both strings: compared as text
    scalar = {"number", "instant", "text"}
    return a in scalar and b in scalar and (a, b) not in comparable


def _article(kind: str) -> str:
    return {"instant": "an instant", "object": "an object", "list": "a list"}.get(
        kind, f"a {kind}" if kind != "text" else "text"
    )


def _shown(value: Any) -> str:
    return "null" if value is None else repr(value)


def _lookup(sample: Any, field: str | None) -> Any:
    """The value at ``field`` in the sample data; ``_MISSING`` when not there or not knowable."""
    if not field or not isinstance(sample, dict):
        return _MISSING
    parts = field.split(".")
    if parts[:2] == ["event", "data"]:
        parts = parts[2:]
    if not parts or parts[0] in _ENGINE_NAMES or parts[0] == "event":
        return _MISSING
    value: Any = sample
    for part in parts:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif (
            isinstance(value, list) and part.isascii() and part.isdigit() and int(part) < len(value)
        ):
            value = value[int(part)]
        else:
            return _MISSING
    return value


def _sample_of(definition: Definition) -> dict[str, Any] | None:
    """The trigger's ``sample`` data, else a sample of its ``schema``; None without either."""
    extra = definition.trigger.model_extra or {}
    if not isinstance(extra.get("sample"), dict) and not isinstance(extra.get("schema"), dict):
        return None
    return trigger_sample(definition.trigger)


def condition_leaves(definition: Definition) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every comparison (a ``{"field": …}`` leaf) of the conditions that read the run context —
    the trigger's filter, nodes' ``when``, condition/goal/wait_condition nodes, switch cases —
    with its canonical path."""
    yield from _leaves(definition.trigger.filter, "trigger.filter")
    for index, node in enumerate(definition.nodes):
        base = f"nodes[{index}]"
        yield from _leaves(node.when, f"{base}.when")
        declared = node_type(node.type)
        if declared and declared.condition_verb and not declared.condition_reads_event:
            # its condition reads the run context (a wait_for_event's reads the awaited event)
            yield from _leaves(node.config.get("condition"), f"{base}.config.condition")
        cases = node.config.get("cases") if declared and declared.branch_list == "cases" else None
        for case_index, case in enumerate(cases if isinstance(cases, list) else []):
            if isinstance(case, dict):
                yield from _leaves(case.get("when"), f"{base}.config.cases[{case_index}].when")


def _leaves(tree: Any, path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(tree, list):
        for index, child in enumerate(tree):
            yield from _leaves(child, join_path(path, index))
        return
    if not isinstance(tree, dict):
        return
    if "field" in tree:
        yield path, tree
    for key in ("and", "or"):
        for index, child in enumerate(tree.get(key) or []):
            yield from _leaves(child, join_path(join_path(path, key), index))
    if "not" in tree:
        yield from _leaves(tree["not"], join_path(path, "not"))


def _literal_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """``host`` as an IP address, also in the decimal form (``2130706433`` is 127.0.0.1)."""
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    if host.isdigit() and int(host) < 2**32:
        return ipaddress.IPv4Address(int(host))
    return None
