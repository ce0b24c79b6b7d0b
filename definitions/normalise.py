"""Every accepted input shape → the canonical graph of ``definitions.models``.

Accepted bodies: ``steps`` (an ordered list; ``condition`` steps may nest ``then``/``else`` lists
that rejoin the main line), ``actions`` (the scheduling document's name for the same list), and
``nodes`` + ``edges`` (the builder form, including the marketing document's ``node_type`` /
``configuration`` / ``source_node`` nodes and the ERP document's ``action`` + ``config`` nodes).

The normaliser never raises on the first problem: it collects every one, with the path it has in
the *submitted* document, and also records where each canonical field came from so that later
validation can point at the user's own text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from definitions.aliases import (
    CONFIG_KEY_ALIASES,
    EDGE_LABEL_ALIASES,
    TRIGGER_KIND_ALIASES,
    canonical_event_type,
    canonical_node_type,
    node_type_defaults,
)
from definitions.conditions import normalise_condition
from definitions.durations import parse_duration
from definitions.errors import DefinitionError, Problem, join_path
from definitions.models import START, Definition, Edge, Node, RetrySpec, Settings, Trigger

# Keys that describe a node itself; everything else on a node is its configuration.
_NODE_KEYS = frozenset(
    {
        "id", "node_id", "type", "node_type", "action_type", "action", "name", "label",
        "when", "conditions", "retry", "timeout", "on_error", "allow_failure",
        "output", "outputs", "is_active", "order", "ordering", "position_x", "position_y",
        "position", "then", "else", "true_branch", "false_branch", "config", "configuration",
        "action_config",
    }
)  # fmt: skip
_CONFIG_KEYS = ("config", "configuration", "action_config")
_BRANCH_KEYS = (("true", ("then", "true_branch")), ("false", ("else", "false_branch")))
_INLINE_KEYS = ("then", "else", "true_branch", "false_branch")

Tails = list[tuple[str, str | None]]
"""Where a chain of steps ends: (node id, label of the edge to leave it by)."""


@dataclass
class Normalised:
    definition: Definition
    source_paths: dict[str, str] = field(default_factory=dict)
    """node id → its path in the submitted document."""
    field_paths: dict[str, str] = field(default_factory=dict)
    """canonical path (``nodes[2].config.to``, ``edges[1].when``) → its submitted path."""

    def locate(self, canonical_path: str) -> str:
        return locate(self.field_paths, canonical_path)


def locate(field_paths: Mapping[str, str], canonical_path: str) -> str:
    """The submitted path of a canonical one: its longest recorded prefix, then the rest as is.

    With no record at all (a canonical document validated directly) the path is its own.
    """
    prefix = canonical_path
    while prefix:
        if prefix in field_paths:
            return field_paths[prefix] + canonical_path[len(prefix) :]
        cut = max(prefix.rfind("."), prefix.rfind("["))
        if cut <= 0:
            break
        prefix = prefix[:cut]
    return canonical_path


class _Builder:
    def __init__(self, reserved_ids: set[str]) -> None:
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.paths: dict[str, str] = {}
        self.fields: dict[str, str] = {}
        self.problems: list[Problem] = []
        self._reserved = reserved_ids
        self._counter = 0

    def problem(self, path: str, message: str) -> None:
        self.problems.append(Problem(path, message))

    def edge(
        self,
        source: str,
        target: str,
        when: str | None = None,
        path: str = "",
        parts: dict[str, str] | None = None,
    ) -> None:
        """Add an edge once; ``path``/``parts`` say where it (and its from/to/when) was written."""
        candidate = Edge.model_validate({"from": source, "to": target, "when": when})
        if candidate in self.edges:
            return
        base = f"edges[{len(self.edges)}]"
        self.edges.append(candidate)
        self.fields[base] = path
        for part in ("from", "to", "when"):
            self.fields[f"{base}.{part}"] = (parts or {}).get(part, path)

    def fresh_id(self, node_type: str) -> str:
        # Never one a user wrote anywhere in the document, so a generated id cannot collide.
        while True:
            self._counter += 1
            candidate = f"{node_type}_{self._counter}"
            if candidate not in self._reserved and candidate not in self.paths:
                return candidate

    def add_node(self, raw: Any, path: str) -> tuple[Node | None, dict[str, Any]]:
        """Normalise one node; returns it and its inline successor keys (then/else…)."""
        if not isinstance(raw, dict):
            self.problem(path, "must be an object")
            return None, {}
        type_key = next((k for k in ("type", "node_type", "action_type") if raw.get(k)), "type")
        type_name = raw.get(type_key)
        if type_name == "action":  # ERP form: {"type": "action", "action": "send_email"}
            type_key, type_name = "action", raw.get("action")
        if not isinstance(type_name, str) or not type_name.strip():
            self.problem(join_path(path, type_key), "a node needs a type")
            return None, {}
        node_type = canonical_node_type(type_name)
        id_key = next((k for k in ("id", "node_id") if raw.get(k) not in (None, "")), None)
        node_id = _reference(raw[id_key]) if id_key else self.fresh_id(node_type)
        id_path = join_path(path, id_key or "id")
        if node_id is None or node_id == START or "." in node_id or not node_id.strip():
            self.problem(id_path, f"invalid node id {raw.get(id_key or 'id')!r}")
            return None, {}
        if node_id in self.paths:
            self.problem(id_path, f"duplicate node id {node_id!r}")
            return None, {}

        config, where, container = self._config(raw, node_type, type_name, path)
        node_fields: dict[str, Any] = {
            "id": node_id,
            "type": node_type,
            "name": raw.get("name") or raw.get("label"),
            "config": config,
            "output": _first(raw.get("output") or raw.get("outputs")),
        }
        when_key = next((k for k in ("when", "conditions") if k in raw), None)
        if node_type == "condition":
            condition, condition_path = config.pop("condition", None), where.get("condition")
            if condition in (None, {}, []) and when_key:
                condition, condition_path = raw[when_key], join_path(path, when_key)
            elif when_key:
                message = "a condition node branches on 'condition'; it takes no guard"
                self.problem(join_path(path, when_key), message)
            condition_path = condition_path or join_path(path, "condition")
            config["condition"] = self._condition(condition, condition_path)
            where["condition"] = condition_path
        elif when_key:
            node_fields["when"] = self._condition(raw[when_key], join_path(path, when_key))
        if raw.get("allow_failure") is True:
            node_fields["on_error"] = "continue"
        if "on_error" in raw:
            node_fields["on_error"] = raw["on_error"]
        if "retry" in raw:
            node_fields["retry"] = self._retry(raw["retry"], join_path(path, "retry"))
        if "timeout" in raw:
            if node_type == "wait_for_event":  # how long to wait, not a per-attempt limit
                config["timeout"], where["timeout"] = raw["timeout"], join_path(path, "timeout")
            else:
                node_fields["timeout"] = self._seconds(raw["timeout"], join_path(path, "timeout"))
        try:
            node = Node.model_validate(node_fields)
        except ValueError as exc:
            self.problems.extend(_pydantic_problems(exc, path))
            return None, {}

        base = f"nodes[{len(self.nodes)}]"
        self.nodes.append(node)
        self.paths[node_id] = path
        self.fields.update({base: path, f"{base}.type": join_path(path, type_key)})
        self.fields[f"{base}.id"] = id_path
        self.fields[f"{base}.config"] = container
        self.fields.update({join_path(f"{base}.config", k): p for k, p in where.items()})
        if when_key:
            self.fields[f"{base}.when"] = join_path(path, when_key)
        if "on_error" not in raw and "allow_failure" in raw:
            self.fields[f"{base}.on_error"] = join_path(path, "allow_failure")
        if "outputs" in raw and "output" not in raw:
            self.fields[f"{base}.output"] = join_path(path, "outputs")
        inline = {k: raw[k] for k in _INLINE_KEYS if k in raw}
        if inline and node.type != "condition":
            self.problem(join_path(path, next(iter(inline))), "only condition nodes have then/else")
            inline = {}
        return node, inline

    def _config(
        self, raw: dict[str, Any], node_type: str, type_name: str, path: str
    ) -> tuple[dict[str, Any], dict[str, str], str]:
        """The node's configuration, where each key was written, and the container's path."""
        config: dict[str, Any] = {}
        where: dict[str, str] = {}
        container = path
        for key in _CONFIG_KEYS:
            if isinstance(raw.get(key), dict):
                base = join_path(path, key)
                container = base if container == path else container
                config.update(raw[key])
                where.update({str(k): join_path(base, str(k)) for k in raw[key]})
        extra = {k: v for k, v in raw.items() if k not in _NODE_KEYS}
        config.update(extra)
        where.update({k: join_path(path, k) for k in extra})
        for alias, canonical in CONFIG_KEY_ALIASES.get(node_type, {}).items():
            _rename(config, where, alias, canonical)
        for key, value in node_type_defaults(type_name).items():
            config.setdefault(key, value)
        if node_type == "send_email":
            # The meeting engine writes the body under "template"; a stored template's name is
            # a single token, a body is prose.
            template = config.get("template")
            if isinstance(template, str) and ("{{" in template or " " in template.strip()):
                _rename(config, where, "template", "body")
        if node_type == "wait":
            _wait_aliases(config, where)
        return config, where, container

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
            self.problems.extend(_pydantic_problems(exc, path))
            return None

    # --- bodies -------------------------------------------------------------------------------

    def add_steps(self, steps: Any, path: str, entry: Tails) -> Tails:
        """Chain ``steps`` after the ``entry`` points; returns where the chain ends."""
        if not isinstance(steps, list):
            self.problem(path, "must be a list of steps")
            return []
        ordered = list(enumerate(steps))
        order = next((k for k in ("order", "ordering") if all(_has_int(s, k) for s in steps)), None)
        if steps and order:
            ordered.sort(key=lambda item: item[1][order])
        tails = entry
        for index, raw in ordered:
            if isinstance(raw, dict) and raw.get("is_active") is False:
                continue
            step_path = join_path(path, index)
            node, inline = self.add_node(raw, step_path)
            if node is None:
                continue
            for source, label in tails:
                self.edge(source, node.id, label, step_path)
            tails = [(node.id, None)]
            if node.type == "condition":
                tails = self._inline_branches(node.id, inline, step_path)
            elif node.type == "stop" and node.when is None:
                tails = []  # nothing after an unconditional stop runs
        return tails

    def _inline_branches(self, node_id: str, inline: dict[str, Any], path: str) -> Tails:
        tails: Tails = []
        for label, keys in _BRANCH_KEYS:
            key = next((k for k in keys if k in inline), None)
            branch = inline.get(key) if key else None
            if not branch:
                tails.append((node_id, label))
                continue
            branch_path = join_path(path, str(key))
            if all(isinstance(b, str | int) and not isinstance(b, bool) for b in _as_list(branch)):
                for index, target in enumerate(_as_list(branch)):  # ids of graph nodes
                    at = join_path(branch_path, index) if isinstance(branch, list) else branch_path
                    parts = {"from": path, "to": at, "when": branch_path}
                    self.edge(node_id, str(target), label, at, parts)
            else:
                tails.extend(self.add_steps(branch, branch_path, [(node_id, label)]))
        return tails

    def add_graph(self, nodes: Any, edges: Any) -> None:
        if not isinstance(nodes, list):
            self.problem("nodes", "must be a list of nodes")
            return
        branching: list[tuple[str, dict[str, Any], str]] = []
        for index, raw in enumerate(nodes):
            node, inline = self.add_node(raw, join_path("nodes", index))
            if node is not None and inline:
                branching.append((node.id, inline, join_path("nodes", index)))
        if edges is not None and not isinstance(edges, list):
            self.problem("edges", "must be a list of edges")
            edges = []
        for index, raw in enumerate(edges or []):
            self._graph_edge(raw, join_path("edges", index))
        # Inline branches after the written edges, so the canonical edges keep the document's order.
        for node_id, inline, path in branching:
            self._inline_branches(node_id, inline, path)
        if self.nodes and not any(e.source == START for e in self.edges):
            # A graph without an edge from the trigger starts at its first node nobody points to.
            targets = {e.target for e in self.edges}
            first = next((n.id for n in self.nodes if n.id not in targets), self.nodes[0].id)
            self.edge(START, first, None, self.paths[first])

    def _graph_edge(self, raw: Any, path: str) -> None:
        if not isinstance(raw, dict):
            self.problem(path, "must be an object")
            return
        from_key = next((k for k in ("from", "source", "source_node") if k in raw), "from")
        to_key = next((k for k in ("to", "target", "target_node") if k in raw), "to")
        source, target = _reference(raw.get(from_key)), _reference(raw.get(to_key))
        if source is None or target is None:
            self.problem(path, "an edge needs 'from' and 'to' node ids")
            return
        label_key = next((k for k in ("when", "condition", "condition_type") if k in raw), None)
        label = raw.get(label_key) if label_key else None
        display = raw.get("label")
        # The marketing document's edge label is display text unless it names a branch.
        if (
            label_key is None
            and isinstance(display, str)
            and display.strip().lower() in (EDGE_LABEL_ALIASES)
        ):
            label_key, label = "label", display
        label_path = join_path(path, label_key or "when")
        if isinstance(label, bool):
            label = "true" if label else "false"
        if label is not None and not isinstance(label, str):
            self.problem(label_path, "an edge label must be a string")
            return
        when = EDGE_LABEL_ALIASES.get((label or "").strip().lower(), label)
        parts = {"from": join_path(path, from_key), "to": join_path(path, to_key)}
        self.edge(source, target, when, path, {**parts, "when": label_path})


def normalise_definition(document: Any) -> Normalised:
    """Normalise a submitted document; raises ``DefinitionError`` listing every problem."""
    if not isinstance(document, dict):
        raise DefinitionError.at("", "a definition must be a JSON object")
    body_keys = [k for k in ("steps", "actions", "nodes") if k in document]
    builder = _Builder(_written_ids([document.get(k) for k in body_keys]))
    trigger = _trigger(document, builder)
    if len(body_keys) > 1:
        builder.problem(body_keys[1], f"use either {body_keys[0]!r} or {body_keys[1]!r}, not both")
    if body_keys and body_keys[0] in ("steps", "actions"):
        builder.add_steps(document[body_keys[0]], body_keys[0], [(START, None)])
    elif body_keys:
        builder.add_graph(document["nodes"], document.get("edges"))
    else:
        builder.problem("steps", "a definition needs 'steps' or 'nodes' + 'edges'")
    name = document.get("name")
    if not isinstance(name, str) or not name.strip():
        builder.problem("name", "a definition needs a name")
    settings = document.get("settings") or {}
    if not isinstance(settings, dict):
        builder.problem("settings", "must be an object")
    else:
        try:
            Settings.model_validate(settings)
        except ValueError as exc:
            builder.problems.extend(_pydantic_problems(exc, "settings"))
    if builder.problems:
        raise DefinitionError(builder.problems)
    fields = {
        "name": name,
        "description": document.get("description") or "",
        "trigger": trigger,
        "nodes": builder.nodes,
        "edges": builder.edges,
        "settings": settings,
    }
    try:
        definition = Definition.model_validate(fields)
    except ValueError as exc:
        raise DefinitionError(_pydantic_problems(exc, "")) from exc
    return Normalised(definition, builder.paths, builder.fields)


def _trigger(document: dict[str, Any], builder: _Builder) -> Trigger | None:
    base = next((k for k in ("trigger", "trigger_type") if document.get(k) is not None), None)
    if base is None:
        return Trigger(type="manual")
    raw = document[base]
    builder.fields["trigger"] = base
    if isinstance(raw, str):  # just the event type (or kind), as the scheduling document has it
        data: dict[str, Any] = {"event": raw}
        where = {"event": base, "type": base}
    elif isinstance(raw, dict):
        data = dict(raw)
        where = {k: join_path(base, k) for k in data}
    else:
        builder.problem(base, "must be an object or an event type")
        return None
    for key in ("config", "configuration"):
        if isinstance(data.get(key), dict):
            inner = data.pop(key)
            where.update({k: join_path(join_path(base, key), k) for k in inner if k not in data})
            data = {**inner, **data}
    keys = [k for k in ("event", "event_type", "trigger_type") if isinstance(data.get(k), str)]
    event = data.get(keys[0]) if keys else None
    for key in ("event_type", "trigger_type"):
        data.pop(key, None)
    if isinstance(event, str):
        kind = TRIGGER_KIND_ALIASES.get(event.strip().lower())
        if kind is not None:  # trigger_type "manual" / "schedule" names a kind, not an event
            data.pop("event", None)
            data.setdefault("type", kind)
        else:
            data["event"] = canonical_event_type(event)
            data.setdefault("type", "event")
        where.setdefault("type", where[keys[0]])
        where["event"] = where[keys[0]]
    filter_key = next((k for k in ("filter", "conditions") if k in data), "filter")
    filter_path = where.get(filter_key, join_path(base, filter_key))
    data["filter"] = builder._condition(data.pop(filter_key, None), filter_path)
    where["filter"] = filter_path
    if isinstance(data.get("cancel_on"), list):
        data["cancel_on"] = [
            canonical_event_type(e) if isinstance(e, str) else e for e in data["cancel_on"]
        ]
    builder.fields.update({f"trigger.{k}": p for k, p in where.items()})
    try:
        return Trigger.model_validate(data)
    except ValueError as exc:
        builder.problems.extend(_pydantic_problems(exc, base, where))
        return None


def _wait_aliases(config: dict[str, Any], where: dict[str, str]) -> None:
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
            where["duration"] = where.pop(key)
    config.pop("wait_type", None)
    where.pop("wait_type", None)


def _rename(config: dict[str, Any], where: dict[str, str], alias: str, canonical: str) -> None:
    if alias in config and canonical not in config:
        config[canonical] = config.pop(alias)
        where[canonical] = where.pop(alias)


def _written_ids(bodies: list[Any]) -> set[str]:
    """Every id the document spells out, anywhere in its bodies."""
    ids: set[str] = set()
    stack = list(bodies)
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            ids.update(r for k in ("id", "node_id") if (r := _reference(item.get(k))))
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return ids


def _reference(value: Any) -> str | None:
    """A node id as written: text, or a whole number (ids exported from a database)."""
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _has_int(step: Any, key: str) -> bool:
    value = step.get(key) if isinstance(step, dict) else None
    return isinstance(value, int) and not isinstance(value, bool)


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value or None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _pydantic_problems(
    exc: ValueError, base: str, where: Mapping[str, str] | None = None
) -> list[Problem]:
    """One problem per pydantic error, at ``base`` + the error's location."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return [Problem(base, str(exc))]
    problems = []
    for error in errors():
        loc = [p for p in error["loc"] if p != "__root__"]
        head = (where or {}).get(str(loc[0])) if loc else None
        path = head or (join_path(base, loc[0]) if loc else base)
        for part in loc[1:]:
            path = join_path(path, part if isinstance(part, int) else str(part))
        problems.append(Problem(path, str(error["msg"])))
    return problems
