"""Checks on a normalised definition, reported with paths into the submitted document.

``validate`` is the generic driver: the trigger, then each node by its type's declaration in the
registry (``definitions.nodes``: the keys it needs, its own checks, the edges that may leave it),
then the graph (edges, reachability, cycles) and literal values. The entry points that parse a
submitted document first are in ``definitions.loading``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from definitions.cycles import cycle_problems
from definitions.errors import Problem, join_path
from definitions.locating import locate
from definitions.models import START, TRIGGER_TYPES, Definition, Edge, Node
from definitions.nodes import EDGE_LABELS, NODE_TYPES, edge_labels, node_type
from definitions.nodes.spec import NodeType
from definitions.templates import check_template_syntax
from definitions.trigger_options import option_problems
from definitions.triggers import timing_problems
from definitions.unknown_keys import definition_key_problems
from definitions.validation_values import value_problems

Where = Callable[[str], str]
"""Turns a canonical path (``nodes[2].config.to``) into its path in the submitted document."""

_MANY_LABELS = frozenset({"branch"})
"""Labels that may leave one node more than once (a parallel's branches)."""


def validate(definition: Definition, field_paths: Mapping[str, str] | None = None) -> list[Problem]:
    """Every problem of a normalised definition.

    ``field_paths`` (from ``normalise_definition``) turns canonical paths into paths in the
    submitted document; without it the paths are the canonical document's own.
    """
    paths = field_paths or {}

    def where(canonical: str) -> str:
        return locate(paths, canonical)

    nodes = {n.id: n for n in definition.nodes}
    leaving: dict[str, list[Edge]] = {}
    for edge in definition.edges:
        leaving.setdefault(edge.source, []).append(edge)
    problems = _trigger_problems(definition, where) + option_problems(definition.trigger, where)
    for index, node in enumerate(definition.nodes):
        problems += _node_problems(node, f"nodes[{index}]", nodes, leaving, where)
    problems += _edge_problems(definition, nodes, where)
    problems += _reachability_problems(definition, where)
    problems += cycle_problems(definition, where)
    problems += value_problems(definition, where)
    problems += definition_key_problems(definition, where)
    return problems


def _trigger_problems(definition: Definition, where: Where) -> list[Problem]:
    trigger = definition.trigger
    if trigger.type not in TRIGGER_TYPES:
        known = ", ".join(sorted(TRIGGER_TYPES))
        return [Problem(where("trigger.type"), f"unknown trigger type {trigger.type!r} ({known})")]
    if trigger.type == "event" and not trigger.event:
        return [
            Problem(where("trigger.event"), "an event trigger needs the event type it listens to")
        ]
    return [
        *_template_problems(trigger.entity, "trigger.entity", where),
        *timing_problems(trigger, where),
        *_template_problems(trigger.start, "trigger.start", where),
    ]


def _node_problems(
    node: Node,
    base: str,
    nodes: dict[str, Node],
    leaving: dict[str, list[Edge]],
    where: Where,
) -> list[Problem]:
    declared = node_type(node.type)
    if declared is None:
        known = ", ".join(sorted(NODE_TYPES))
        return [Problem(where(f"{base}.type"), f"unknown node type {node.type!r} ({known})")]
    config = f"{base}.config"
    found = _needs(declared, node, config)
    for check in declared.checks:
        found += check(node, config, leaving.get(node.id, []))
    problems = [Problem(where(path), message) for path, message in found]
    if node.on_error not in (None, "continue", "stop") and node.on_error not in nodes:
        problems.append(
            Problem(
                where(f"{base}.on_error"),
                f"on_error must be 'continue', 'stop' or a node id, not {node.on_error!r}",
            )
        )
    problems += _template_problems(node.config, config, where)
    return problems


def _needs(declared: NodeType, node: Node, config: str) -> list[tuple[str, str]]:
    """The type's ``needs``: at least one key of each group has a value."""
    found = []
    for alternatives in declared.needs:
        if not any(node.config.get(key) not in (None, "", []) for key in alternatives):
            wanted = " or ".join(repr(k) for k in alternatives)
            found.append((join_path(config, alternatives[0]), f"{node.type} needs {wanted}"))
    return found


def _edge_problems(definition: Definition, nodes: dict[str, Node], where: Where) -> list[Problem]:
    problems: list[Problem] = []
    leaving: set[tuple[str, str | None]] = set()
    for index, edge in enumerate(definition.edges):
        path = f"edges[{index}]"
        if edge.source != START and edge.source not in nodes:
            problems.append(Problem(where(f"{path}.from"), f"no node {edge.source!r}"))
        if edge.target not in nodes:
            problems.append(Problem(where(f"{path}.to"), f"no node {edge.target!r}"))
        allowed = _leaving_labels(edge.source, nodes)
        if allowed is not None and edge.when not in allowed:
            problems.append(Problem(where(f"{path}.when"), _label_message(edge, nodes, allowed)))
        elif (edge.source, edge.when) in leaving and edge.when not in _MANY_LABELS:
            label = f"labelled {edge.when!r}" if edge.when else "without a label"
            message = f"a second edge {label} leaves {edge.source!r}: which one runs is ambiguous"
            problems.append(Problem(where(path), message))
        leaving.add((edge.source, edge.when))
    return problems


def _leaving_labels(node_id: str, nodes: dict[str, Node]) -> frozenset[str | None] | None:
    """The labels an edge from ``node_id`` may carry; None for a missing node (reported)."""
    if node_id == START:
        return frozenset({None})
    node = nodes.get(node_id)
    return edge_labels(node) if node else None


def _label_message(edge: Edge, nodes: dict[str, Node], allowed: frozenset[str | None]) -> str:
    kind = "the trigger" if edge.source == START else f"a {nodes[edge.source].type} node"
    choices = ", ".join(sorted(label for label in allowed if label is not None))
    takes = choices or "none"
    if choices and None in allowed:
        takes += ", or none"
    if edge.when is None:
        return f"an edge leaving {kind} needs a label ({takes})"
    if edge.when in EDGE_LABELS:
        return f"{kind} has no {edge.when!r} edges ({takes})"
    return f"unknown edge label {edge.when!r} ({takes})"


def _reachability_problems(definition: Definition, where: Where) -> list[Problem]:
    successors: dict[str, list[str]] = {}
    for edge in definition.edges:
        successors.setdefault(edge.source, []).append(edge.target)
    for node in definition.nodes:
        if node.on_error not in (None, "continue", "stop"):
            successors.setdefault(node.id, []).append(node.on_error)
    # A goal is entered whenever its condition holds, wherever the run is.
    goals = [node.id for node in definition.nodes if _by_condition(node)]
    seen, frontier = {START, *goals}, [START, *goals]
    while frontier:
        for target in successors.get(frontier.pop(), []):
            if target not in seen:
                seen.add(target)
                frontier.append(target)
    return [
        Problem(where(f"nodes[{index}]"), f"node {node.id!r} can never be reached")
        for index, node in enumerate(definition.nodes)
        if node.id not in seen
    ]


def _by_condition(node: Node) -> bool:
    declared = node_type(node.type)
    return declared is not None and declared.entered_by_condition


def _template_problems(value: Any, path: str, where: Where) -> Iterator[Problem]:
    """Template syntax errors anywhere in ``value``; ``path`` is canonical."""
    if isinstance(value, str):
        if ("{{" in value or "{%" in value) and (error := check_template_syntax(value)):
            yield Problem(where(path), f"template error: {error}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _template_problems(item, join_path(path, str(key)), where)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _template_problems(item, join_path(path, index), where)
