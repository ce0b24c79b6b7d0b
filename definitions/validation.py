"""Checks on a normalised definition, reported with paths into the submitted document."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from definitions.actions import ROLE_FIELDS, action_problems
from definitions.catalog import EventTypeSpec
from definitions.catalog.fields import schema_warnings
from definitions.durations import parse_duration, parse_instant
from definitions.errors import DefinitionError, Problem, join_path
from definitions.exports import REQUIRED as EXPORT_REQUIRED
from definitions.exports import export_problems
from definitions.models import EDGE_LABELS, NODE_TYPES, START, TRIGGER_TYPES, Definition, Edge, Node
from definitions.normalise import locate, normalise_definition
from definitions.record_actions import REQUIRED as RECORD_REQUIRED
from definitions.record_actions import record_action_problems
from definitions.scope import name_warnings
from definitions.templates import check_template_syntax, has_expression
from definitions.trigger_options import option_problems
from definitions.triggers import timing_problems
from definitions.validation_flow import cycle_problems, flow_problems
from definitions.validation_values import value_problems, value_warnings

# Types the language names (SPEC §2.4) but this engine does not run yet: refused at validation
# so that a workflow never fails at run time for it.
PLANNED_NODE_TYPES: frozenset[str] = frozenset()
PLANNED_TRIGGER_TYPES: frozenset[str] = frozenset()

_REQUIRED: dict[str, tuple[tuple[str, ...], ...]] = {
    # each inner tuple: at least one of these keys must be present
    "send_email": (("to", "recipient"), ("subject", "template"), ("body", "html", "template")),
    "send_sms": (("to", "recipient"), ("body",)),
    "http_request": (("url",),),
    "slack": (("url",), ("text", "blocks")),
    **RECORD_REQUIRED,
    **EXPORT_REQUIRED,
    "wait": (("duration", "until"),),
}
Where = Callable[[str], str]
"""Turns a canonical path (``nodes[2].config.to``) into its path in the submitted document."""

_MANY_LABELS = frozenset({"branch"})
"""Labels that may leave one node more than once (a parallel's branches)."""


def load_definition(document: Any) -> Definition:
    """Normalise and validate; raises ``DefinitionError`` with every problem found."""
    normalised = normalise_definition(document)
    problems = validate(normalised.definition, normalised.field_paths)
    if problems:
        raise DefinitionError(problems)
    return normalised.definition


@dataclass(frozen=True)
class Report:
    """What ``check_definition`` found: errors refuse the document, warnings only advise."""

    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    definition: Definition | None = None
    """The normalised definition, when the document normalised at all."""

    @property
    def valid(self) -> bool:
        return not self.errors


def check_definition(
    document: Any, event_types: Callable[[str], EventTypeSpec | None] | None = None
) -> Report:
    """Every error and warning of a submitted document, at submitted paths; never raises.

    ``event_types`` looks up the catalog entry of the trigger's event type (the caller's
    catalog: definitions stay pure); with it, conditions are checked against its schema.
    """
    try:
        normalised = normalise_definition(document)
    except DefinitionError as exc:
        return Report(errors=exc.problems)
    definition, paths = normalised.definition, normalised.field_paths
    warnings = name_warnings(definition, paths) + value_warnings(definition, paths)
    event = definition.trigger.event
    if event_types is not None and event and "*" not in event:
        warnings += schema_warnings(definition, event_types(event), paths)
    return Report(validate(definition, paths), warnings, definition)


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
    return problems


def _trigger_problems(definition: Definition, where: Where) -> list[Problem]:
    trigger = definition.trigger
    if trigger.type in PLANNED_TRIGGER_TYPES:
        return [Problem(where("trigger.type"), f"{trigger.type} triggers are not supported yet")]
    if trigger.type not in TRIGGER_TYPES:
        known = ", ".join(sorted(TRIGGER_TYPES | PLANNED_TRIGGER_TYPES))
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
    if node.type in PLANNED_NODE_TYPES:
        return [Problem(where(f"{base}.type"), f"node type {node.type!r} is not supported yet")]
    if node.type not in NODE_TYPES:
        known = ", ".join(sorted(NODE_TYPES))
        return [Problem(where(f"{base}.type"), f"unknown node type {node.type!r} ({known})")]
    problems: list[Problem] = []
    config = f"{base}.config"
    for alternatives in _REQUIRED.get(node.type, ()):
        if not any(node.config.get(key) not in (None, "", []) for key in alternatives):
            wanted = " or ".join(repr(k) for k in alternatives)
            problems.append(
                Problem(where(join_path(config, alternatives[0])), f"{node.type} needs {wanted}")
            )
    if node.type in ROLE_FIELDS:
        problems += _recipient_problems(node, config, where)
    problems += [
        Problem(where(join_path(config, key)), message) for key, message in action_problems(node)
    ]
    problems += [
        Problem(where(join_path(config, key)), message)
        for key, message in record_action_problems(node.type, node.config)
    ]
    if node.type == "export":
        problems += [
            Problem(where(join_path(config, key)), message)
            for key, message in export_problems(node.config)
        ]
    if node.type == "condition" and node.config.get("condition") is None:
        problems.append(Problem(where(f"{config}.condition"), "a condition node needs a condition"))
    if node.type == "wait":
        problems += _wait_problems(node, config, where)
    problems += flow_problems(node, base, leaving.get(node.id, []), where)
    if node.on_error not in (None, "continue", "stop") and node.on_error not in nodes:
        problems.append(
            Problem(
                where(f"{base}.on_error"),
                f"on_error must be 'continue', 'stop' or a node id, not {node.on_error!r}",
            )
        )
    problems += _template_problems(node.config, config, where)
    return problems


def _recipient_problems(node: Node, config: str, where: Where) -> list[Problem]:
    recipient = node.config.get("recipient")
    if recipient in (None, "") or has_expression(recipient) or node.config.get("to"):
        return []
    roles = ROLE_FIELDS[node.type]
    if recipient not in roles:
        choices = ", ".join(sorted(roles))
        return [Problem(where(f"{config}.recipient"), f"recipient is one of {choices}")]
    (custom_field,) = roles["custom"]
    if recipient == "custom" and not node.config.get(custom_field):
        return [
            Problem(where(f"{config}.{custom_field}"), f"a custom recipient needs {custom_field}")
        ]
    return []


def _wait_problems(node: Node, config_path: str, where: Where) -> list[Problem]:
    problems: list[Problem] = []
    config = node.config
    for key in ("duration", "offset"):
        if config.get(key) is None or has_expression(config[key]):
            continue
        try:
            amount = parse_duration(config[key], where(f"{config_path}.{key}"))
        except DefinitionError as exc:
            problems += exc.problems
            continue
        if key == "duration" and amount < timedelta(0):
            problems.append(
                Problem(
                    where(f"{config_path}.duration"),
                    "a wait cannot be negative; to act before an instant use 'until' with a "
                    'negative "offset"',
                )
            )
    has_until = config.get("until") not in (None, "")
    if has_until and not has_expression(config["until"]):
        try:
            parse_instant(config["until"], where(f"{config_path}.until"))
        except DefinitionError as exc:
            problems += exc.problems
    if has_until and config.get("duration") is not None:
        problems.append(
            Problem(
                where(f"{config_path}.duration"), "a wait takes 'duration' or 'until', not both"
            )
        )
    if config.get("offset") is not None and not has_until:
        problems.append(Problem(where(f"{config_path}.offset"), "an offset needs 'until'"))
    if config.get("if_past", "continue") not in ("continue", "skip"):
        problems.append(
            Problem(where(f"{config_path}.if_past"), "if_past must be 'continue' or 'skip'")
        )
    reschedule_on = config.get("reschedule_on")
    if reschedule_on is not None and not (
        reschedule_on is False
        or (isinstance(reschedule_on, list) and all(isinstance(t, str) for t in reschedule_on))
    ):
        problems.append(
            Problem(
                where(f"{config_path}.reschedule_on"),
                "reschedule_on is a list of event types, or false",
            )
        )
    return problems


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
    return node.edge_labels() if node else None


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
    goals = [node.id for node in definition.nodes if node.type == "goal"]
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
