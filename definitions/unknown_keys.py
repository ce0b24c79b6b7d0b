"""Nothing is dropped silently: every key of a submitted definition is understood, presentation
metadata, or refused at its path — with "did you mean …?" when a known key is close.

The known keys come from where they are used: a node type's from its declaration in the
registry (``definitions.nodes.known_config_keys``), a trigger's from ``known_trigger_keys`` below
(per trigger kind), the document's, an edge's and the settings' from the lists here.
Presentation metadata (``PRESENTATION_KEYS``) stays in the stored source document; the engine
never reads it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from difflib import get_close_matches
from typing import Any

from definitions.errors import Problem, join_path
from definitions.models import Definition
from definitions.nodes import known_config_keys, node_type

Where = Callable[[str], str]

PRESENTATION_KEYS = frozenset(
    {"label", "description", "notes", "position_x", "position_y", "position", "color", "ui"}
)
"""Keys a builder may keep on a document, node or edge for people; the engine ignores them."""
DOCUMENT_KEYS = frozenset(
    {"$schema", "name", "trigger", "trigger_type", "event_type", "conditions", "delay_minutes",
     "event_types", "triggers", "steps", "actions", "nodes", "edges", "settings", "action_type",
     "action_config", "appointment_type"}
)  # fmt: skip
EDGE_KEYS = frozenset(
    {"id", "from", "source", "source_node", "to", "target", "target_node", "when", "condition",
     "condition_type"}
)  # fmt: skip
SETTINGS_KEYS = frozenset({"on_error", "timezone", "template"})
"""``template``: the built-in template a workflow was made from (``from-template`` sets it)."""

_TRIGGER_COMMON = frozenset(
    {"type", "event", "filter", "conditions", "entity", "priority", "cancel_on", "start", "delay",
     "dedupe_key", "reenroll", "rate_limit", "sample", "schema", "config", "configuration",
     "event_type", "trigger_type"}
)  # fmt: skip
_TRIGGER_KEYS: Mapping[str, frozenset[str]] = {
    "event": _TRIGGER_COMMON,
    "webhook": _TRIGGER_COMMON,
    "manual": _TRIGGER_COMMON,
    "schedule": _TRIGGER_COMMON | {"cron", "every", "calendar", "timezone", "overlap", "offset"},
    # the date-relative shorthands: {"type": "before", "field": "start_time", "offset": "24h"}
    **{
        kind: _TRIGGER_COMMON | {"field", "offset", "duration", "if_past", "at"}
        for kind in ("before", "after", "anniversary")
    },
}


_REASONS = {
    "id": "Relay gives a workflow its id (POST /v1/workflows answers with it)",
    "version": "Relay numbers a workflow's versions itself, one per change",
    "status": "a workflow's status changes by POST /v1/workflows/{id}/activate or /pause",
    "is_active": "a workflow is switched on and off by POST /v1/workflows/{id}/activate or /pause",
    "firm": "a workflow belongs to the tenant whose API key creates it: a firm is a tenant",
    "organizer": "a workflow belongs to the tenant whose API key creates it",
    **dict.fromkeys(
        (
            "total_executions",
            "successful_executions",
            "failed_executions",
            "last_executed_at",
            "usage_count",
        ),
        "Relay counts a workflow's runs itself (GET /v1/workflows/{id}/stats)",
    ),  # fmt: skip
}
"""Keys of exported workflows that describe the stored workflow, not what it does."""


def known_trigger_keys(kind: str) -> frozenset[str]:
    """Every key a trigger of ``kind`` (event, schedule, before…) understands, as written."""
    return _TRIGGER_KEYS.get(kind, _TRIGGER_COMMON)


def document_key_problems(document: Mapping[str, Any]) -> list[Problem]:
    """Unknown keys at the top of a submitted document, in its settings and on its edges."""
    problems = _unknown(document, DOCUMENT_KEYS | PRESENTATION_KEYS, "", "the definition")
    settings = document.get("settings")
    if isinstance(settings, dict):
        problems += _unknown(settings, SETTINGS_KEYS, "settings", "settings")
    edges = document.get("edges")
    for index, edge in enumerate(edges if isinstance(edges, list) else []):
        if isinstance(edge, dict):
            known = EDGE_KEYS | PRESENTATION_KEYS
            problems += _unknown(edge, known, join_path("edges", index), "an edge")
    return problems


def definition_key_problems(definition: Definition, where: Where) -> list[Problem]:
    """Config keys no node type understands, and trigger keys its kind does not: at the paths
    they were written at (``where`` turns canonical paths into submitted ones)."""
    problems: list[Problem] = []
    trigger = definition.trigger
    extra = trigger.model_extra or {}
    known = known_trigger_keys(trigger.type)
    for key, value in extra.items():
        if key == "is_active" and value is True:
            continue  # the marketing document's trigger flag: on, as every trigger is
        if key == "is_active":
            problems.append(Problem(where("trigger.is_active"), _REASONS["is_active"]))
        elif key not in known:
            problems.append(Problem(where(f"trigger.{key}"), _message(key, known, "the trigger")))
    for index, node in enumerate(definition.nodes):
        declared = node_type(node.type)
        node_known = known_config_keys(node.type)
        if declared is None or node_known is None:
            continue  # an unknown type is refused as such; an open type takes any key as data
        base = f"nodes[{index}].config"
        for key in node.config:
            if key in declared.key_aliases:  # left as written: the canonical key is there too
                canonical = declared.key_aliases[key]
                message = f"{key!r} is another name for {canonical!r}: give one of them"
                problems.append(Problem(where(join_path(base, key)), message))
            elif key not in node_known:
                message = _message(key, node_known, f"a {node.type} step")
                problems.append(Problem(where(join_path(base, key)), message))
    return problems


def _unknown(
    mapping: Mapping[str, Any], known: frozenset[str], path: str, what: str
) -> list[Problem]:
    return [
        Problem(
            join_path(path, str(key)), _REASONS.get(str(key)) or _message(str(key), known, what)
        )
        for key in mapping
        if key not in known
    ]


def _message(key: str, known: Iterable[str], what: str) -> str:
    close = get_close_matches(key, sorted(known), n=1, cutoff=0.75)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    return f"{what} has no key {key!r}{hint}"
