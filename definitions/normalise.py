"""Every accepted input shape → the canonical graph of ``definitions.models``.

Accepted bodies: ``steps`` (an ordered list; ``condition`` steps may nest ``then``/``else`` lists
that rejoin the main line), ``actions`` (the scheduling document's name for the same list), and
``nodes`` + ``edges`` (the builder form, including the marketing document's ``node_type`` /
``configuration`` / ``source_node`` nodes and the ERP document's ``action`` + ``config`` nodes).

The normaliser never raises on the first problem: it collects every one, with the path it has in
the *submitted* document, and also returns where each node came from so that later validation
can point at the user's own text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from definitions.aliases import (
    CONFIG_KEY_ALIASES,
    EDGE_LABEL_ALIASES,
    canonical_event_type,
    canonical_node_type,
)
from definitions.conditions import normalise_condition
from definitions.durations import parse_duration
from definitions.errors import DefinitionError, Problem, join_path
from definitions.models import START, Definition, Edge, Node, RetrySpec, Settings, Trigger

# Keys that describe a node itself; everything else on a node is its configuration.
_NODE_KEYS = frozenset(
    {
        "id", "node_id", "type", "node_type", "action_type", "action", "name", "label",
        "description", "when", "conditions", "retry", "timeout", "on_error", "allow_failure",
        "output", "outputs", "is_active", "order", "ordering", "position_x", "position_y",
        "position", "then", "else", "true_branch", "false_branch", "config", "configuration",
        "action_config",
    }
)  # fmt: skip


@dataclass
class Normalised:
    definition: Definition
    source_paths: dict[str, str] = field(default_factory=dict)
    """node id → its path in the submitted document."""


class _Builder:
    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.paths: dict[str, str] = {}
        self.problems: list[Problem] = []
        self._counter = 0

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def edge(self, source: str, target: str, when: str | None = None) -> None:
        candidate = Edge.model_validate({"from": source, "to": target, "when": when})
        if candidate not in self.edges:
            self.edges.append(candidate)

    def fresh_id(self, node_type: str) -> str:
        self._counter += 1
        return f"{node_type}_{self._counter}"

    def add_node(self, raw: Any, path: str) -> tuple[Node | None, dict[str, Any]]:
        """Normalise one node; returns it and its inline successor keys (then/else…)."""
        if not isinstance(raw, dict):
            self.problem(path, "must be an object")
            return None, {}
        type_name = raw.get("type") or raw.get("node_type") or raw.get("action_type")
        if type_name == "action":  # ERP form: {"type": "action", "action": "send_email"}
            type_name = raw.get("action")
        if not isinstance(type_name, str) or not type_name:
            self.problem(join_path(path, "type"), "a node needs a type")
            return None, {}
        node_type = canonical_node_type(type_name)
        node_id = raw.get("id") or raw.get("node_id") or self.fresh_id(node_type)
        if not isinstance(node_id, str) or node_id == START:
            self.problem(join_path(path, "id"), f"invalid node id {node_id!r}")
            return None, {}
        if node_id in self.paths:
            self.problem(join_path(path, "id"), f"duplicate node id {node_id!r}")
            return None, {}

        config = self._config(raw, node_type)
        node_fields: dict[str, Any] = {
            "id": node_id,
            "type": node_type,
            "name": raw.get("name") or raw.get("label"),
            "config": config,
            "output": _first(raw.get("output") or raw.get("outputs")),
        }
        if node_type == "condition":
            cond = config.pop("condition", None) or raw.get("conditions") or raw.get("when")
            config["condition"] = self._condition(cond, join_path(path, "condition"))
        else:
            when = raw.get("when", raw.get("conditions"))
            node_fields["when"] = self._condition(when, join_path(path, "when"))
        if raw.get("allow_failure") is True:
            node_fields["on_error"] = "continue"
        if "on_error" in raw:
            node_fields["on_error"] = raw["on_error"]
        if "retry" in raw:
            node_fields["retry"] = self._retry(raw["retry"], join_path(path, "retry"))
        if "timeout" in raw and node_type != "wait_for_event":
            node_fields["timeout"] = self._seconds(raw["timeout"], join_path(path, "timeout"))
        try:
            node = Node.model_validate(node_fields)
        except ValueError as exc:
            self.problem(path, str(exc))
            return None, {}
        self.nodes.append(node)
        self.paths[node_id] = path
        inline = {k: raw[k] for k in ("then", "else", "true_branch", "false_branch") if k in raw}
        return node, inline

    def _config(self, raw: dict[str, Any], node_type: str) -> dict[str, Any]:
        config: dict[str, Any] = {}
        for key in ("config", "configuration", "action_config"):
            if isinstance(raw.get(key), dict):
                config.update(raw[key])
        config.update({k: v for k, v in raw.items() if k not in _NODE_KEYS})
        for alias, canonical in CONFIG_KEY_ALIASES.get(node_type, {}).items():
            if alias in config and canonical not in config:
                config[canonical] = config.pop(alias)
        if node_type == "send_email":
            # The meeting engine writes the body under "template"; a stored template's name is
            # a single token, a body is prose.
            template = config.get("template")
            if isinstance(template, str) and ("{{" in template or " " in template.strip()):
                config.setdefault("body", config.pop("template"))
        if node_type == "wait":
            _wait_aliases(config)
        return config

    def _condition(self, value: Any, path: str) -> dict[str, Any] | None:
        try:
            return normalise_condition(value, path)
        except DefinitionError as exc:
            self.problems.extend(exc.problems)
            return None

    def _seconds(self, value: Any, path: str) -> float | None:
        try:
            return parse_duration(value, path).total_seconds()
        except DefinitionError as exc:
            self.problems.extend(exc.problems)
            return None

    def _retry(self, value: Any, path: str) -> RetrySpec | None:
        if isinstance(value, int) and not isinstance(value, bool):
            value = {"max_attempts": value}
        if not isinstance(value, dict):
            self.problem(path, "retry must be an object or a number of attempts")
            return None
        spec = dict(value)
        for key in ("initial_interval", "max_interval"):
            if key in spec:
                spec[key] = self._seconds(spec[key], join_path(path, key))
        try:
            return RetrySpec.model_validate(spec)
        except ValueError as exc:
            self.problem(path, _pydantic_message(exc))
            return None

    # --- bodies -------------------------------------------------------------------------------

    def add_steps(self, steps: Any, path: str, entry: list[tuple[str, str | None]]) -> list[str]:
        """Chain ``steps`` after the ``entry`` points; returns the ids the chain ends on."""
        if not isinstance(steps, list):
            self.problem(path, "must be a list of steps")
            return []
        ordered = list(enumerate(steps))
        if all(isinstance(s, dict) and isinstance(s.get("order"), int) for _, s in ordered):
            ordered.sort(key=lambda item: item[1]["order"])
        tails = entry
        for index, raw in ordered:
            if isinstance(raw, dict) and raw.get("is_active") is False:
                continue
            step_path = join_path(path, index)
            node, inline = self.add_node(raw, step_path)
            if node is None:
                continue
            for source, label in tails:
                self.edge(source, node.id, label)
            tails = [(node.id, None)]
            if node.type == "condition":
                tails = self._inline_branches(node.id, inline, step_path)
        return [source for source, _ in tails]

    def _inline_branches(
        self, node_id: str, inline: dict[str, Any], path: str
    ) -> list[tuple[str, str | None]]:
        tails: list[tuple[str, str | None]] = []
        for label, keys in (("true", ("then", "true_branch")), ("false", ("else", "false_branch"))):
            key = next((k for k in keys if k in inline), None)
            branch = inline.get(key) if key else None
            if not branch:
                tails.append((node_id, label))
            elif all(isinstance(b, str) for b in _as_list(branch)):
                for target in _as_list(branch):  # ids of graph nodes
                    self.edge(node_id, target, label)
            else:
                ends = self.add_steps(branch, join_path(path, str(key)), [(node_id, label)])
                tails.extend((end, None) for end in ends)
        return tails

    def add_graph(self, nodes: Any, edges: Any) -> None:
        if not isinstance(nodes, list):
            self.problem("nodes", "must be a list of nodes")
            return
        for index, raw in enumerate(nodes):
            node, inline = self.add_node(raw, join_path("nodes", index))
            if node is not None and inline:
                self._inline_branches(node.id, inline, join_path("nodes", index))
        for index, raw in enumerate(edges or []):
            self._graph_edge(raw, join_path("edges", index))
        if self.nodes and not any(e.source == START for e in self.edges):
            targets = {e.target for e in self.edges}
            first = next((n.id for n in self.nodes if n.id not in targets), self.nodes[0].id)
            self.edge(START, first)

    def _graph_edge(self, raw: Any, path: str) -> None:
        if not isinstance(raw, dict):
            self.problem(path, "must be an object")
            return
        source = raw.get("from", raw.get("source", raw.get("source_node")))
        target = raw.get("to", raw.get("target", raw.get("target_node")))
        label = raw.get("when", raw.get("condition", raw.get("condition_type", raw.get("label"))))
        if not isinstance(source, str) or not isinstance(target, str):
            self.problem(path, "an edge needs 'from' and 'to' node ids")
            return
        if isinstance(label, bool):
            label = "true" if label else "false"
        if label is not None and not isinstance(label, str):
            self.problem(join_path(path, "when"), "an edge label must be a string")
            return
        self.edge(source, target, EDGE_LABEL_ALIASES.get((label or "").lower(), label))


def normalise_definition(document: Any) -> Normalised:
    """Normalise a submitted document; raises ``DefinitionError`` listing every problem."""
    if not isinstance(document, dict):
        raise DefinitionError.at("", "a definition must be a JSON object")
    builder = _Builder()
    trigger = _trigger(document.get("trigger", document.get("trigger_type")), builder)
    if "steps" in document or "actions" in document:
        key = "steps" if "steps" in document else "actions"
        builder.add_steps(document[key], key, [(START, None)])
    elif "nodes" in document:
        builder.add_graph(document["nodes"], document.get("edges"))
    else:
        builder.problem("steps", "a definition needs 'steps' or 'nodes' + 'edges'")
    settings = document.get("settings") or {}
    fields = {
        "name": document.get("name"),
        "description": document.get("description") or "",
        "trigger": trigger,
        "nodes": builder.nodes,
        "edges": builder.edges,
        "settings": settings,
    }
    if not isinstance(fields["name"], str) or not fields["name"].strip():
        builder.problem("name", "a definition needs a name")
    if not isinstance(settings, dict):
        builder.problem("settings", "must be an object")
    if builder.problems:
        raise DefinitionError(builder.problems)
    try:
        definition = Definition.model_validate(fields)
        Settings.model_validate(settings)
    except ValueError as exc:
        raise DefinitionError.at("", _pydantic_message(exc)) from exc
    return Normalised(definition, builder.paths)


def _trigger(raw: Any, builder: _Builder) -> Trigger | None:
    if raw is None:
        return Trigger(type="manual")
    if isinstance(raw, str):
        raw = {"type": "manual"} if raw == "manual" else {"type": "event", "event": raw}
    if not isinstance(raw, dict):
        builder.problem("trigger", "must be an object or an event type")
        return None
    data = dict(raw)
    for key in ("config", "configuration"):
        if isinstance(data.get(key), dict):
            data = {**data.pop(key), **data}
    event = data.pop("event_type", None) or data.pop("trigger_type", None) or data.get("event")
    if isinstance(event, str):
        data["event"] = canonical_event_type(event)
        data.setdefault("type", "event")
    if "conditions" in data and "filter" not in data:
        data["filter"] = data.pop("conditions")
    data["filter"] = builder._condition(data.get("filter"), "trigger.filter")
    try:
        return Trigger.model_validate(data)
    except ValueError as exc:
        builder.problem("trigger", _pydantic_message(exc))
        return None


def _wait_aliases(config: dict[str, Any]) -> None:
    """The marketing and meeting documents' wait fields → ``duration``."""
    for key, unit in (
        ("wait_duration_hours", "hours"),
        ("wait_duration_minutes", "minutes"),
        ("wait_duration_days", "days"),
        ("delay_minutes", "minutes"),
        ("delay_hours", "hours"),
        ("delay_days", "days"),
    ):
        if key in config and "duration" not in config:
            config["duration"] = {unit: config.pop(key)}
    config.pop("wait_type", None)


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value or None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _pydantic_message(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        parts = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors()]
        return "; ".join(parts)
    return str(exc)
