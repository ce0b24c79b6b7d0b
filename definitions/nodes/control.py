"""Nodes that change the run itself: ``set`` (run variables, readable as ``vars.<name>`` and by
name), ``goal`` (entered whenever its ``condition`` holds, wherever the run is; ``value`` counts
towards the workflow's goal value) and ``stop`` (ends the run with a ``status``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from definitions.errors import Problem, join_path
from definitions.models import Edge, Node
from definitions.nodes.fields import CONDITION, VALUE, Absent, optional, param
from definitions.nodes.spec import Flow, Found, NodeType, is_number

STOP_STATUSES = frozenset({"completed", "failed", "cancelled", "skipped", "goal_reached"})
_STATUS_ALIASES = {"canceled": "cancelled", "complete": "completed", "success": "completed"}


def _set_shape(
    config: dict[str, Any], where: dict[str, str], problems: list[Problem]
) -> list[Flow]:
    if "values" not in config and "name" in config and "value" in config:
        # The flat form {"name": "total", "value": "{{ a + b }}"} sets one variable.
        name, name_path = str(config.pop("name")), where.pop("name", "name")
        config["values"] = {name: config.pop("value")}
        where.pop("value", None)
        where.update({"values": name_path, f"values.{name}": name_path})
    return []


def _flat_set(config: dict[str, Any]) -> bool:
    """{"type": "set", "name": "total", "value": …}: the node's name is the variable's."""
    return "value" in config and "values" not in config


def _set_check(node: Node, config: str, leaving: list[Edge]) -> Found:
    values = node.config.get("values")
    if not isinstance(values, dict) or not values:
        return [(f"{config}.values", "set needs 'values': names and what to set them to")]
    return [
        (join_path(f"{config}.values", name), f"a variable name is a word like total, not {name!r}")
        for name in values
        if not (isinstance(name, str) and name.isidentifier())
    ]


def _set_names(node: Node) -> Iterable[str]:
    values = node.config.get("values")
    return [str(name) for name in values] if isinstance(values, dict) else []


def _goal_check(node: Node, config: str, leaving: list[Edge]) -> Found:
    found: Found = []
    if node.config.get("condition") is None:
        found.append((f"{config}.condition", "a goal needs a condition"))
    if "value" in node.config and not is_number(node.config["value"]):
        found.append((f"{config}.value", "a goal's value is a number"))
    return found


def _stop_shape(
    config: dict[str, Any], where: dict[str, str], problems: list[Problem]
) -> list[Flow]:
    status = config.get("status")
    if isinstance(status, str):
        key = status.strip().lower()
        config["status"] = _STATUS_ALIASES.get(key, key)
    return []


def _stop_check(node: Node, config: str, leaving: list[Edge]) -> Found:
    status = node.config.get("status")
    if status is None or status in STOP_STATUSES:
        return []
    return [(f"{config}.status", f"a stop status is one of {', '.join(sorted(STOP_STATUSES))}")]


SET = NodeType(
    "set",
    "flow",
    # the flat form's name and value become values (the node's own name, when it is flat)
    keys=frozenset({"values", "name", "value"}),
    aliases={"calculate": {}, "transform": {}},
    key_aliases={"variables": "values", "set": "values", "variable": "name"},
    shape=_set_shape,
    checks=(_set_check,),
    name_in_config=_flat_set,
    sets=_set_names,
    schema={"values": param(dict[str, Any] | Absent, optional("a set step's variables"))},
)
GOAL = NodeType(
    "goal",
    "goal",
    keys=frozenset({"condition", "value"}),
    key_aliases={"goal_value": "value"},
    checks=(_goal_check,),
    condition_verb="is reached on",
    entered_by_condition=True,
    schema={"condition": CONDITION, "value": VALUE},
)
STOP = NodeType(
    "stop",
    "stop",
    keys=frozenset({"status"}),
    aliases={"end": {}},
    shape=_stop_shape,
    checks=(_stop_check,),
    ends_run=True,
    schema={
        "status": param(
            str | Absent,
            optional(
                "how a stop ends the run (on a create_record step: a field of the record)",
                examples=sorted(STOP_STATUSES),
            ),
        )
    },
)

TYPES = (SET, GOAL, STOP)
