"""Every accepted input shape → the canonical graph of ``definitions.models``.

Accepted bodies: ``steps`` (an ordered list; flow steps may nest their sub-flows — a condition's
``then``/``else``, a switch's ``cases``/``default``, a split's ``variants`` and a wait's
``on_timeout`` rejoin the main line, a loop's ``body`` and a parallel's ``branches`` end where they
end), ``actions`` (the scheduling document's name for the same list), and ``nodes`` + ``edges``
(the builder form, including the marketing document's ``node_type`` / ``configuration`` /
``source_node`` nodes and the ERP document's ``action`` + ``config`` nodes). Flow nodes' own
nodes are read by ``definitions.normalise_node``, by their type's declaration in
``definitions.nodes``; triggers by ``definitions.triggers``.

The normaliser never raises on the first problem: it collects every one, with the path it has in
the *submitted* document, and also records where each canonical field came from so that later
validation can point at the user's own text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from definitions.aliases import EDGE_LABEL_ALIASES
from definitions.errors import DefinitionError, Problem, join_path
from definitions.locating import locate, pydantic_problems
from definitions.models import START, Definition, Edge, Node, Settings
from definitions.nodes import branch_names, canonical_node_type, node_type
from definitions.nodes.spec import Flow, NodeType
from definitions.normalise_node import NodeSource, read_node
from definitions.triggers import normalise_trigger
from definitions.unknown_keys import document_key_problems

# Sub-flows that never rejoin: an unlabelled edge the builder also drew to their entry is them.
_ENCLOSED_LABELS = frozenset({"body", "branch"})
MAX_NODES = 5_000
"""Steps one definition may hold, nested ones included: far beyond any real automation, and a
bound on what validating, storing and interpreting one costs."""

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


class _Builder:
    def __init__(self, reserved_ids: set[str]) -> None:
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        # (source, target, when) → index in ``edges``: a membership test per edge added must
        # not scan the list (10,000 steps took minutes; building a definition is linear).
        self._edge_index: dict[tuple[str, str, str | None], int] = {}
        self.over_limit = False
        self.paths: dict[str, str] = {}
        self.fields: dict[str, str] = {}
        self.problems: list[Problem] = []
        self.by_id: dict[str, Node] = {}
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
        if (source, target, when) in self._edge_index:
            return
        candidate = Edge.model_validate({"from": source, "to": target, "when": when})
        plain = self._edge_index.get((source, target, None))
        if when in _ENCLOSED_LABELS and plain is not None:
            # The ERP builder draws a loop's body both inline and as a plain edge: one edge.
            del self._edge_index[(source, target, None)]
            self._edge_index[(source, target, when)] = plain
            self.edges[plain] = candidate
            self.fields[f"edges[{plain}].when"] = (parts or {}).get("when", path)
            return
        base = f"edges[{len(self.edges)}]"
        self._edge_index[(source, target, when)] = len(self.edges)
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

    def add_node(self, raw: Any, path: str) -> tuple[Node | None, list[Flow]]:
        """Normalise one node; returns it and the sub-flows it names inline (then, body…)."""
        if len(self.paths) >= MAX_NODES:
            if not self.over_limit:  # said once, at the first step too many
                self.problem(path, f"a definition holds at most {MAX_NODES} steps")
                self.over_limit = True
            return None, []
        if not isinstance(raw, dict):
            self.problem(path, "must be an object")
            return None, []
        type_key = next((k for k in ("type", "node_type", "action_type") if raw.get(k)), "type")
        type_name = raw.get(type_key)
        if type_name == "action":  # ERP form: {"type": "action", "action": "send_email"}
            type_key, type_name = "action", raw.get("action")
        if not isinstance(type_name, str) or not type_name.strip():
            self.problem(join_path(path, type_key), "a node needs a type")
            return None, []
        canonical = canonical_node_type(type_name)
        id_key = next((k for k in ("id", "node_id") if raw.get(k) not in (None, "")), None)
        node_id = _reference(raw[id_key]) if id_key else self.fresh_id(canonical)
        id_path = join_path(path, id_key or "id")
        if node_id is None or node_id == START or "." in node_id or not node_id.strip():
            self.problem(id_path, f"invalid node id {raw.get(id_key or 'id')!r}")
            return None, []
        if node_id in self.paths:
            self.problem(id_path, f"duplicate node id {node_id!r}")
            return None, []

        source = NodeSource(raw, path, node_id, id_path, type_key, type_name)
        read = read_node(source, node_type(canonical) or _undeclared(canonical), self.problems)
        if read is None:
            return None, []
        base = f"nodes[{len(self.nodes)}]"
        self.nodes.append(read.node)
        self.by_id[node_id] = read.node
        self.paths[node_id] = path
        self.fields.update({base + suffix: written for suffix, written in read.fields.items()})
        return read.node, read.flows

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
            tails = self._attach(node, inline, step_path)
        return tails

    def _attach(self, node: Node, flows: list[Flow], path: str) -> Tails:
        """Chain a node's inline sub-flows; returns the ends that go on to the next step."""
        declared = node_type(node.type) or _undeclared(node.type)
        if declared.ends_run and node.when is None:
            return []  # nothing after an unconditional stop runs
        tails: Tails = [] if declared.branching else [(node.id, None)]
        for flow in flows:
            if flow.value is None:
                tails += [(node.id, flow.label)] if flow.rejoins else []
            elif all(_is_reference(v) for v in _as_list(flow.value)):
                # Ids of graph nodes: the sub-flow's nodes, its entry first.
                at = join_path(flow.path, 0) if isinstance(flow.value, list) else flow.path
                target = str(_as_list(flow.value)[0])
                parts = {"from": path, "to": at, "when": flow.path}
                self.edge(node.id, target, flow.label, at, parts)
            else:
                ends = self.add_steps(flow.value, flow.path, [(node.id, flow.label)])
                tails += ends if flow.rejoins else []
        return tails

    def add_graph(self, nodes: Any, edges: Any) -> None:
        if not isinstance(nodes, list):
            self.problem("nodes", "must be a list of nodes")
            return
        branching: list[tuple[Node, list[Flow], str]] = []
        for index, raw in enumerate(nodes):
            node, flows = self.add_node(raw, join_path("nodes", index))
            if node is not None and any(flow.value is not None for flow in flows):
                branching.append((node, flows, join_path("nodes", index)))
        if edges is not None and not isinstance(edges, list):
            self.problem("edges", "must be a list of edges")
            edges = []
        for index, raw in enumerate(edges or []):
            self._graph_edge(raw, join_path("edges", index))
        # Inline branches after the written edges, so the canonical edges keep the document's order.
        for node, flows, path in branching:
            self._attach(node, [flow for flow in flows if flow.value is not None], path)
        if self.nodes and not any(e.source == START for e in self.edges):
            # A graph without an edge from the trigger starts at its first node nobody points to
            # (a goal is entered by its condition, not by the flow).
            targets = {e.target for e in self.edges}
            starts = [n.id for n in self.nodes if n.id not in targets and not _by_condition(n)]
            first = next(iter(starts), self.nodes[0].id)
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
        if label_key is None and isinstance(display, str) and self._label(source, display)[0]:
            label_key, label = "label", display
        label_path = join_path(path, label_key or "when")
        if isinstance(label, bool):
            label = "true" if label else "false"
        if label is not None and not isinstance(label, str):
            self.problem(label_path, "an edge label must be a string")
            return
        known, when = self._label(source, label or "")
        when = when if known else label
        parts = {"from": join_path(path, from_key), "to": join_path(path, to_key)}
        self.edge(source, target, when, path, {**parts, "when": label_path})

    def _label(self, source: str, written: str) -> tuple[bool, str | None]:
        """Whether ``written`` names a branch of an edge leaving ``source``, and which one.

        A switch's case names (and ``default``) and a split's variant names come first, so a case
        called "yes" is not read as ``true``.
        """
        node = self.by_id.get(source)
        own = _own_labels(node) if node else []
        key = written.strip().lower()
        match = next((n for n in own if n == written), None) or next(
            (n for n in own if n.lower() == key), None
        )
        if match is not None:
            return True, match
        return key in EDGE_LABEL_ALIASES, EDGE_LABEL_ALIASES.get(key)


def _any_active(actions: Any) -> bool:
    """The scheduling document's rule: at least one action that is not ``is_active: false``
    (a list that is no list is refused where it is read)."""
    if not isinstance(actions, list):
        return True
    return any(not (isinstance(a, dict) and a.get("is_active") is False) for a in actions)


def normalise_definition(document: Any) -> Normalised:
    """Normalise a submitted document; raises ``DefinitionError`` listing every problem."""
    if not isinstance(document, dict):
        raise DefinitionError.at("", "a definition must be a JSON object")
    body_keys = [k for k in ("steps", "actions", "nodes") if k in document]
    builder = _Builder(_written_ids([document.get(k) for k in body_keys]))
    builder.problems.extend(document_key_problems(document))
    trigger = normalise_trigger(document, builder.fields, builder.problems)
    if len(body_keys) > 1:
        builder.problem(body_keys[1], f"use either {body_keys[0]!r} or {body_keys[1]!r}, not both")
    if "action_type" in document:
        _single_action(builder, document, body_keys)
    elif body_keys and body_keys[0] in ("steps", "actions"):
        builder.add_steps(document[body_keys[0]], body_keys[0], [(START, None)])
        if body_keys[0] == "actions" and not _any_active(document["actions"]):
            builder.problem("actions", "a workflow needs at least one active action")
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
            builder.problems.extend(pydantic_problems(exc, "settings"))
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
        raise DefinitionError(pydantic_problems(exc, "")) from exc
    return Normalised(definition, builder.paths, builder.fields)


def _single_action(builder: _Builder, document: dict[str, Any], body_keys: list[str]) -> None:
    """The meeting engine's ``MeetingWorkflow``: one action, ``action_type`` with its
    ``action_config``, at the top of the document (its ``delay_minutes`` is the trigger's)."""
    if body_keys:
        builder.problem("action_type", f"give either {body_keys[0]!r} or action_type, not both")
        return
    raw: dict[str, Any] = {
        k: document[k] for k in ("action_type", "action_config") if k in document
    }
    raw["id"] = "action"
    node, _ = builder.add_node(raw, "")
    if node is not None:
        builder.edge(START, node.id, None, "action_type")


def _undeclared(name: str) -> NodeType:
    """What the normaliser assumes of a type the registry does not know (validation refuses
    it): a step with no configuration of its own to shape."""
    return NodeType(name, "action")


def _by_condition(node: Node) -> bool:
    """A goal is entered by its condition, not by the flow."""
    declared = node_type(node.type)
    return declared is not None and declared.entered_by_condition


def _own_labels(node: Node) -> list[str]:
    """The labels a node names itself: its case or variant names and a switch's default."""
    declared = node_type(node.type)
    default = ["default"] if declared and "default" in declared.leaving else []
    return branch_names(node) + default


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


def _is_reference(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


def _has_int(step: Any, key: str) -> bool:
    value = step.get(key) if isinstance(step, dict) else None
    return isinstance(value, int) and not isinstance(value, bool)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
