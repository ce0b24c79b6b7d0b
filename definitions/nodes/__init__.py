"""The node-type registry: every node type Relay runs, gathered from its family module.

Each family module (``actions``, ``records``, ``branching``, ``waits``, ``loops``, ``calls``,
``control``) declares its types as ``NodeType``s (``definitions.nodes.spec``) — names and
aliases, the keys they read, how their configuration is shaped and checked, the edges that may
leave them, the names they give templates and their JSON-Schema part. The drivers
(``definitions.normalise``, ``definitions.validation``, ``definitions.scope``,
``definitions.schema``, the API's flow picture) read only this registry, so adding a node type
is adding it to a family module (and its test to ``tests/definitions/nodes``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from definitions.models import Node
from definitions.nodes import actions, branching, calls, control, loops, records, waits
from definitions.nodes.spec import Labels, NodeType

FAMILIES = (actions, records, branching, waits, loops, calls, control)

REGISTRY: Mapping[str, NodeType] = {t.name: t for family in FAMILIES for t in family.TYPES}
"""Canonical type name → its declaration, in family order."""
_ALIASES: Mapping[str, NodeType] = {alias: t for t in REGISTRY.values() for alias in t.aliases}

NODE_TYPES = frozenset(REGISTRY)
ACTION_TYPES = frozenset(t.name for t in REGISTRY.values() if t.kind == "action")
"""The types whose steps are the run's work: sends, HTTP calls, record actions, activities."""
PAUSING_TYPES = frozenset(t.name for t in REGISTRY.values() if t.pauses)
"""Nodes that pause a run; a cycle must pass through one of them."""
EDGE_LABELS = frozenset(label for t in REGISTRY.values() for label in t.leaving if label)
"""Labels any node may use; a switch adds its case names and a split its variant names."""


def node_type(name: str) -> NodeType | None:
    """The declaration of a canonical type name; None for an unknown one."""
    return REGISTRY.get(name)


def canonical_node_type(name: str) -> str:
    """``email`` → ``send_email``; an unknown name comes back trimmed and lower-cased."""
    key = name.strip().lower()
    alias_of = _ALIASES.get(key)
    return alias_of.name if alias_of else key


def alias_defaults(name: str) -> Mapping[str, Any]:
    """What a type alias says beyond its canonical type (``create_task``: a task record)."""
    key = name.strip().lower()
    alias_of = _ALIASES.get(key)
    return alias_of.aliases[key] if alias_of else {}


def type_aliases() -> dict[str, str]:
    """Every alias → its canonical type name."""
    return {alias: t.name for alias, t in _ALIASES.items()}


def known_config_keys(name: str) -> frozenset[str] | None:
    """Every config key a node of canonical type ``name`` understands, aliases included; None
    when the type takes any other key as data (``create_record``) or is unknown."""
    declared = REGISTRY.get(name)
    if declared is None or declared.open_keys:
        return None
    return declared.known_keys()


def branch_names(node: Node) -> list[str]:
    """A switch's case names or a split's variant names, in order; [] for other types."""
    declared = REGISTRY.get(node.type)
    items = node.config.get(declared.branch_list) if declared and declared.branch_list else None
    if not isinstance(items, list):
        return []
    return [i["name"] for i in items if isinstance(i, dict) and isinstance(i.get("name"), str)]


def edge_labels(node: Node) -> Labels:
    """The labels an edge leaving ``node`` may carry (None: the unlabelled edge)."""
    declared = REGISTRY.get(node.type)
    labels = declared.leaving if declared else frozenset({None})
    return labels | frozenset(branch_names(node))
