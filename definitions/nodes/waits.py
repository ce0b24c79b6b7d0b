"""Nodes that pause a run: ``wait`` (a duration, or until an instant with an offset),
``wait_for_event`` (an event of a type, optionally filtered by a condition on it, with a
``timeout``) and ``wait_condition`` (until a condition on the run holds, with a ``timeout``).

A wait that times out may go on by a ``timeout`` edge, written inline as ``on_timeout``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from definitions.aliases import canonical_event_type
from definitions.durations import parse_duration, parse_instant
from definitions.errors import DefinitionError, Problem
from definitions.models import Edge, Node
from definitions.nodes.fields import CONDITION, Absent, Duration, SubFlow, optional, param
from definitions.nodes.spec import Flow, Found, NodeType, is_number, take_flow
from definitions.templates import has_expression

_WRITTEN_DURATIONS = (
    ("wait_duration_hours", "hours"),
    ("wait_duration_minutes", "minutes"),
    ("wait_duration_days", "days"),
    ("delay_minutes", "minutes"),
    ("delay_hours", "hours"),
    ("delay_days", "days"),
)
"""The marketing and meeting documents' wait fields, read as ``duration``."""


def _wait_shape(
    config: dict[str, Any], where: dict[str, str], problems: list[Problem]
) -> list[Flow]:
    for key, unit in _WRITTEN_DURATIONS:
        if key in config and "duration" not in config:
            config["duration"] = {unit: config.pop(key)}
            where["duration"] = where.pop(key)
    config.pop("wait_type", None)
    where.pop("wait_type", None)
    return []


def _wait_check(node: Node, config_path: str, leaving: list[Edge]) -> Found:
    found: Found = []
    config = node.config
    for key in ("duration", "offset"):
        if config.get(key) is None or has_expression(config[key]):
            continue
        try:
            amount = parse_duration(config[key], f"{config_path}.{key}")
        except DefinitionError as exc:
            found += [(p.path, p.message) for p in exc.problems]
            continue
        if key == "duration" and amount < timedelta(0):
            message = (
                "a wait cannot be negative; to act before an instant use 'until' with a "
                'negative "offset"'
            )
            found.append((f"{config_path}.duration", message))
    has_until = config.get("until") not in (None, "")
    if has_until and not has_expression(config["until"]):
        try:
            parse_instant(config["until"], f"{config_path}.until")
        except DefinitionError as exc:
            found += [(p.path, p.message) for p in exc.problems]
    if has_until and config.get("duration") is not None:
        found.append((f"{config_path}.duration", "a wait takes 'duration' or 'until', not both"))
    if config.get("offset") is not None and not has_until:
        found.append((f"{config_path}.offset", "an offset needs 'until'"))
    if config.get("if_past", "continue") not in ("continue", "skip"):
        found.append((f"{config_path}.if_past", "if_past must be 'continue' or 'skip'"))
    reschedule_on = config.get("reschedule_on")
    if reschedule_on is not None and not (
        reschedule_on is False
        or (isinstance(reschedule_on, list) and all(isinstance(t, str) for t in reschedule_on))
    ):
        message = "reschedule_on is a list of event types, or false"
        found.append((f"{config_path}.reschedule_on", message))
    return found


def _waiting_shape(
    config: dict[str, Any], where: dict[str, str], problems: list[Problem]
) -> list[Flow]:
    if isinstance(config.get("event"), str):
        config["event"] = canonical_event_type(config["event"])
    if config.get("timeout") is None:
        config.pop("timeout", None)
    else:
        path = where.get("timeout", "timeout")
        try:
            config["timeout"] = parse_duration(config["timeout"], path).total_seconds()
        except DefinitionError as exc:
            problems.extend(exc.problems)
    return take_flow(config, where, "on_timeout", "timeout", rejoins=True)


def _waiting_check(node: Node, config: str, leaving: list[Edge]) -> Found:
    found: Found = []
    if node.type == "wait_for_event" and not (
        isinstance(node.config.get("event"), str) and node.config["event"].strip()
    ):
        found.append((f"{config}.event", "wait_for_event needs the 'event' type it waits for"))
    if node.type == "wait_condition" and node.config.get("condition") is None:
        found.append((f"{config}.condition", "wait_condition needs a condition"))
    timeout = node.config.get("timeout")
    if timeout is not None and (not is_number(timeout) or timeout <= 0):
        found.append((f"{config}.timeout", "a timeout is a positive duration"))
    return found


_ON_TIMEOUT = param(SubFlow | Absent, optional("where a wait goes when it times out"))

WAIT = NodeType(
    "wait",
    "wait",
    keys=frozenset({"duration", "until", "offset", "if_past", "reschedule_on", "wait_type"})
    | {key for key, _ in _WRITTEN_DURATIONS},
    aliases={"delay": {}, "wait_time": {}, "wait_until": {}},
    key_aliases={"delay": "duration"},
    shape=_wait_shape,
    needs=(("duration", "until"),),
    checks=(_wait_check,),
    pauses=True,
    schema={
        "duration": param(Duration | Absent, optional("how long a wait lasts")),
        "until": param(str | Absent, optional("a wait's instant (a template)")),
        "offset": param(Duration | Absent, optional('before (-) or after that instant: "-24h"')),
        "if_past": param(str | Absent, optional("when until is past", enum=["continue", "skip"])),
    },
)
WAIT_FOR_EVENT = NodeType(
    "wait_for_event",
    "wait",
    keys=frozenset({"event", "condition", "timeout"}),
    key_aliases={"event_type": "event", "filter": "condition"},
    shape=_waiting_shape,
    checks=(_waiting_check,),
    leaving=frozenset({None, "received", "timeout"}),
    condition_verb="filters events with",
    condition_reads_event=True,
    timeout_is_wait=True,
    pauses=True,
    schema={
        "event": param(str | Absent, optional("the event type a wait_for_event waits for")),
        "condition": CONDITION,
        "on_timeout": _ON_TIMEOUT,
    },
)
WAIT_CONDITION = NodeType(
    "wait_condition",
    "wait",
    keys=frozenset({"condition", "timeout"}),
    shape=_waiting_shape,
    checks=(_waiting_check,),
    leaving=frozenset({None, "timeout"}),
    condition_verb="waits on",
    timeout_is_wait=True,
    pauses=True,
    schema={"condition": CONDITION, "on_timeout": _ON_TIMEOUT},
)

TYPES = (WAIT, WAIT_FOR_EVENT, WAIT_CONDITION)
