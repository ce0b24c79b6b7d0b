"""Where a run in flight would continue if it moved to another version of its workflow.

A run may move only from a safe point: waiting at a top-level wait (its wait goes on in the new
version) or between two top-level steps (the interpreter checks there too, e.g. once a loop it
was in has ended). The plan is pure — the API's dry run and the interpreter itself, at the run's
safe point, call the same ``plan_move`` — so what the dry run says is what the run does.

Rules: the run continues at the node named for its node in ``mapping``, else at the node of the
same id; a node removed and not mapped, or whose type changed, cannot take it. Inside a loop or
a parallel branch, the run finishes that sub-flow on its version and moves at the node after it,
unless the sub-flow's shape (its nodes and edges) changed. A waiting run keeps its remaining
wait unless the wait's own configuration changed; then the new wait counts from the instant the
original one began.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from definitions.models import Definition, Node
from definitions.nodes import PAUSING_TYPES

ENCLOSED_LABELS = frozenset({"body", "branch"})
"""The edge labels that lead into a sub-flow (a loop's body, a parallel branch)."""

# Why a run cannot move (``Move.reason``); ``Move.detail`` says it in words.
MID_ACTION = "mid_action"
NOT_IN_FLOW = "not_in_flow"
NODE_REMOVED = "node_removed"
TYPE_CHANGED = "type_changed"
SHAPE_CHANGED = "enclosing_shape_changed"
TARGET_ENCLOSED = "target_enclosed"
NOTHING_AFTER = "nothing_after"

WaitRule = Literal["kept", "recomputed"]
Links = dict[str, list[tuple[str | None, str]]]
"""Node id → (edge label, target) of the edges leaving it."""


@dataclass(frozen=True)
class Position:
    """Where a run is: ``waiting`` at a step of ``node_id``, ``running`` one (mid-action), or
    ``between`` top-level steps, about to start ``node_id``."""

    node_id: str | None
    status: Literal["waiting", "running", "between"]


@dataclass(frozen=True)
class Move:
    """The plan for one run: ``target`` in the new version, or why it cannot move."""

    node_id: str | None
    """Where the run is now."""
    target: str | None = None
    """Where it continues in the new version (None: it cannot move)."""
    wait: WaitRule | None = None
    """For a run moved from a wait onto a wait: ``kept`` (its remaining time) or
    ``recomputed`` (the new wait, counted from when the old one began)."""
    after: str | None = None
    """Set when the run moves only once it has left this loop or parallel node."""
    reason: str | None = None
    detail: str | None = None

    @property
    def movable(self) -> bool:
        return self.target is not None

    def as_dict(self) -> dict[str, Any]:
        return {
            "node_id": self.node_id,
            "target": self.target,
            "wait": self.wait,
            "after": self.after,
            "reason": self.reason,
            "detail": self.detail,
        }


def plan_move(
    old: Definition, new: Definition, position: Position, mapping: dict[str, str] | None = None
) -> Move:
    """Where a run of ``old`` at ``position`` would continue in ``new`` (with ``mapping``: old
    node id → new node id), or why it cannot move."""
    mapping = mapping or {}
    here = position.node_id
    if position.status == "running":
        detail = f"it is running step {here!r}; it can move once it waits" if here else None
        return _refused(
            here, MID_ACTION, detail or "it is running a step; it can move once it waits"
        )
    old_nodes = {n.id: n for n in old.nodes}
    if here is None or here not in old_nodes:
        return _refused(
            here, NOT_IN_FLOW, "it is not at a step of its flow (the trigger's own wait)"
        )
    containers = enclosing(old).get(here, [])
    if containers:
        return _after_sub_flow(old, new, here, containers, mapping)
    move = _resolve(here, old_nodes[here], new, mapping)
    if not move.movable or position.status != "waiting":
        return move
    target = _node(new, move.target)
    if target.type not in PAUSING_TYPES:
        return move  # mapped onto a step that does not wait: it runs at once
    source = old_nodes[here]
    same = target.type == source.type and _wait_config(target) == _wait_config(source)
    return Move(here, move.target, wait="kept" if same else "recomputed")


def enclosing(definition: Definition) -> dict[str, list[str]]:
    """Node id → the loops and parallel nodes it runs inside, outermost first."""
    out: Links = {}
    for edge in definition.edges:
        out.setdefault(edge.source, []).append((edge.when, edge.target))
    inside: dict[str, list[str]] = {}
    for node in definition.nodes:
        entries = [t for label, t in out.get(node.id, []) if label in ENCLOSED_LABELS]
        for member in _reachable(entries, out, stop=node.id):
            inside.setdefault(member, []).append(node.id)
    # Outermost first: a container enclosing another also encloses everything inside it.
    return {
        member: sorted(found, key=lambda c: len(inside.get(c, [])))
        for member, found in inside.items()
    }


def sub_flow(definition: Definition, container: str) -> tuple[set[str], list[tuple[Any, ...]]]:
    """The nodes inside ``container`` and the edges leaving it and them: its shape."""
    members = {m for m, found in enclosing(definition).items() if container in found}
    nodes = members | {container}
    edges = sorted(
        (e.source, e.target, e.when or "") for e in definition.edges if e.source in nodes
    )
    return members, edges


# --- helpers ------------------------------------------------------------------------------------


def _after_sub_flow(
    old: Definition, new: Definition, here: str, containers: list[str], mapping: dict[str, str]
) -> Move:
    """A run inside a loop or branch: it moves at the node after the outermost one, once the
    sub-flows it is in are done on its version — if they are the same in both."""
    for container in containers:
        if _shape(old, container) != _shape(new, container):
            kind = _node(old, container).type
            return _refused(
                here, SHAPE_CHANGED,
                f"it is inside {kind} {container!r}, whose steps or edges changed",
            )  # fmt: skip
    outermost = containers[0]
    after = _plain_successor(old, outermost)
    if after is None:
        return _refused(
            here, NOTHING_AFTER, f"nothing follows {outermost!r}: the run ends on its version"
        )
    move = _resolve(after, _node(old, after), new, mapping)
    if not move.movable:
        return Move(here, reason=move.reason, detail=move.detail, after=outermost)
    return Move(here, move.target, after=outermost)


def _resolve(old_id: str, old_node: Node, new: Definition, mapping: dict[str, str]) -> Move:
    """The node of ``new`` that takes over from ``old_id``: mapped, or the same id."""
    new_nodes = {n.id: n for n in new.nodes}
    if old_id in mapping:
        target = mapping[old_id]
        if target not in new_nodes:
            return _refused(old_id, NODE_REMOVED, f"the map sends {old_id!r} to {target!r}, "
                            "which the new version does not have")  # fmt: skip
    elif old_id in new_nodes:
        target = old_id
        if new_nodes[target].type != old_node.type:
            return _refused(
                old_id, TYPE_CHANGED,
                f"{old_id!r} is a {new_nodes[target].type} in the new version (it was a "
                f"{old_node.type}); map it to say where the run goes",
            )  # fmt: skip
    else:
        return _refused(
            old_id, NODE_REMOVED, f"{old_id!r} was removed and the map names no node for it"
        )
    if enclosing(new).get(target):
        return _refused(old_id, TARGET_ENCLOSED, f"{target!r} is inside a loop or parallel branch")
    return Move(old_id, target)


def _shape(definition: Definition, container: str) -> tuple[Any, ...] | None:
    nodes = {n.id: n for n in definition.nodes}
    if container not in nodes:
        return None
    members, edges = sub_flow(definition, container)
    dumped = [nodes[m].model_dump(exclude={"name"}) for m in sorted(members | {container})]
    return (tuple(repr(d) for d in dumped), tuple(edges))


def _wait_config(node: Node) -> Any:
    """What decides when a wait ends: its configuration, its timeout and its guard."""
    return (node.config, node.timeout, node.when)


def _plain_successor(definition: Definition, node_id: str) -> str | None:
    """Where a loop or parallel node goes once done (its unlabelled edge)."""
    for edge in definition.edges:
        if edge.source == node_id and edge.when is None:
            return edge.target
    return None


def _node(definition: Definition, node_id: str | None) -> Node:
    return next(n for n in definition.nodes if n.id == node_id)


def _reachable(
    entries: list[str], out: dict[str, list[tuple[str | None, str]]], stop: str
) -> set[str]:
    seen: set[str] = set()
    todo = list(entries)
    while todo:
        current = todo.pop()
        if current in seen or current == stop:
            continue
        seen.add(current)
        todo.extend(target for _, target in out.get(current, []))
    return seen


def _refused(node_id: str | None, reason: str, detail: str) -> Move:
    return Move(node_id, reason=reason, detail=detail)
