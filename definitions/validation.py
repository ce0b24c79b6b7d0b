"""Checks on a normalised definition, reported with paths into the submitted document."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from definitions.aliases import NODE_TYPE_ALIASES
from definitions.durations import parse_duration
from definitions.errors import DefinitionError, Problem, join_path
from definitions.models import EDGE_LABELS, NODE_TYPES, START, TRIGGER_TYPES, Definition, Node
from definitions.normalise import normalise_definition
from definitions.templates import check_template_syntax

# Types the language names but this engine does not run yet: refused at validation so that a
# workflow never fails at run time for it.
_PLANNED_TYPES = frozenset(NODE_TYPE_ALIASES.values()) - NODE_TYPES

_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    # each inner tuple: at least one of these keys must be present
    "send_email": (("to", "recipient"), ("subject", "template")),
    "send_sms": (("to",), ("body",)),
    "http_request": (("url",),),
    "wait": (("duration", "until"),),
}


def load_definition(document: Any) -> Definition:
    """Normalise and validate; raises ``DefinitionError`` with every problem found."""
    normalised = normalise_definition(document)
    problems = validate(normalised.definition, normalised.source_paths)
    if problems:
        raise DefinitionError(problems)
    return normalised.definition


def validate(definition: Definition, source_paths: dict[str, str] | None = None) -> list[Problem]:
    paths = source_paths or {n.id: join_path("nodes", i) for i, n in enumerate(definition.nodes)}
    problems: list[Problem] = []
    nodes = {n.id: n for n in definition.nodes}
    problems += _trigger_problems(definition)
    for node in definition.nodes:
        problems += _node_problems(node, paths.get(node.id, node.id), nodes)
    problems += _edge_problems(definition, nodes)
    problems += _reachability_problems(definition, paths)
    return problems


def _trigger_problems(definition: Definition) -> list[Problem]:
    trigger = definition.trigger
    if trigger.type not in TRIGGER_TYPES:
        return [Problem("trigger.type", f"unknown trigger type {trigger.type!r}")]
    if trigger.type == "event" and not trigger.event:
        return [Problem("trigger.event", "an event trigger needs the event type it listens to")]
    return list(_template_problems(trigger.entity, "trigger.entity"))


def _node_problems(node: Node, path: str, nodes: dict[str, Node]) -> list[Problem]:
    problems: list[Problem] = []
    if node.type in _PLANNED_TYPES:
        return [Problem(join_path(path, "type"), f"node type {node.type!r} is not supported yet")]
    if node.type not in NODE_TYPES:
        known = ", ".join(sorted(NODE_TYPES))
        return [Problem(join_path(path, "type"), f"unknown node type {node.type!r} ({known})")]
    for alternatives in _REQUIRED.get(node.type, ()):
        if not any(node.config.get(key) not in (None, "") for key in alternatives):
            wanted = " or ".join(repr(k) for k in alternatives)
            problems.append(Problem(path, f"{node.type} needs {wanted}"))
    if node.type == "condition" and node.config.get("condition") is None:
        problems.append(Problem(join_path(path, "condition"), "a condition node needs a condition"))
    if node.type == "wait":
        problems += _wait_problems(node, path)
    if node.on_error not in (None, "continue", "stop") and node.on_error not in nodes:
        problems.append(
            Problem(
                join_path(path, "on_error"),
                f"on_error must be 'continue', 'stop' or a node id, not {node.on_error!r}",
            )
        )
    problems += _template_problems(node.config, path)
    return problems


def _wait_problems(node: Node, path: str) -> list[Problem]:
    problems: list[Problem] = []
    config = node.config
    for key in ("duration", "offset"):
        if key in config and not _is_template(config[key]):
            try:
                parse_duration(config[key], join_path(path, key))
            except DefinitionError as exc:
                problems += exc.problems
    if config.get("if_past", "continue") not in ("continue", "skip"):
        problems.append(Problem(join_path(path, "if_past"), "if_past must be 'continue' or 'skip'"))
    return problems


def _edge_problems(definition: Definition, nodes: dict[str, Node]) -> list[Problem]:
    problems: list[Problem] = []
    for index, edge in enumerate(definition.edges):
        path = join_path("edges", index)
        if edge.source != START and edge.source not in nodes:
            problems.append(Problem(join_path(path, "from"), f"no node {edge.source!r}"))
        if edge.target not in nodes:
            problems.append(Problem(join_path(path, "to"), f"no node {edge.target!r}"))
        if edge.when is not None and edge.when not in EDGE_LABELS:
            problems.append(Problem(join_path(path, "when"), f"unknown edge label {edge.when!r}"))
    return problems


def _reachability_problems(definition: Definition, paths: dict[str, str]) -> list[Problem]:
    successors: dict[str, list[str]] = {}
    for edge in definition.edges:
        successors.setdefault(edge.source, []).append(edge.target)
    for node in definition.nodes:
        if node.on_error not in (None, "continue", "stop"):
            successors.setdefault(node.id, []).append(node.on_error)
    seen, frontier = {START}, [START]
    while frontier:
        for target in successors.get(frontier.pop(), []):
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    return [
        Problem(paths.get(n.id, n.id), f"node {n.id!r} can never be reached")
        for n in definition.nodes
        if n.id not in seen
    ]


def _template_problems(value: Any, path: str) -> Iterator[Problem]:
    if isinstance(value, str):
        if ("{{" in value or "{%" in value) and (error := check_template_syntax(value)):
            yield Problem(path, f"template error: {error}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _template_problems(item, join_path(path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _template_problems(item, join_path(path, index))


def _is_template(value: Any) -> bool:
    return isinstance(value, str) and "{{" in value
