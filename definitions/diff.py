"""What changed between two canonical definitions: nodes, edges, trigger, settings, name.

Compares the canonical graphs, so two documents that differ only in how they were written (an
alias, steps instead of nodes + edges) show no difference: what runs is what is compared.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

_NODE_FIELDS = ("type", "name", "when", "retry", "timeout", "on_error", "output")
_TOP_FIELDS = ("name", "description")


def diff_definitions(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """A structured diff of two canonical definitions (``Definition.canonical()``).

    ``{"changed": bool, "fields": {key: {"from", "to"}}, "trigger": {...} | None,
    "settings": {...} | None, "nodes": {"added", "removed", "changed"}, "edges": {"added",
    "removed"}}``. A changed node lists its changed ``keys`` (``config.subject``) with their
    values before (``from``) and after (``to``); absent values are ``None``.
    """
    fields = {
        key: {"from": old.get(key), "to": new.get(key)}
        for key in _TOP_FIELDS
        if old.get(key) != new.get(key)
    }
    trigger = _section(old.get("trigger") or {}, new.get("trigger") or {})
    settings = _section(old.get("settings") or {}, new.get("settings") or {})
    nodes = _nodes(old.get("nodes") or [], new.get("nodes") or [])
    edges = _edges(old.get("edges") or [], new.get("edges") or [])
    changed = bool(fields or trigger or settings or any(nodes.values()) or any(edges.values()))
    return {
        "changed": changed,
        "fields": fields,
        "trigger": trigger,
        "settings": settings,
        "nodes": nodes,
        "edges": edges,
    }


def _section(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    keys = _changed_keys(old, new, sorted(set(old) | set(new)))
    if not keys:
        return None
    return {
        "keys": keys,
        "from": {k: old.get(k) for k in keys},
        "to": {k: new.get(k) for k in keys},
    }


def _nodes(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> dict[str, Any]:
    before = {n["id"]: n for n in old}
    after = {n["id"]: n for n in new}
    changed = []
    for node_id, node in after.items():
        if node_id not in before:
            continue
        previous = before[node_id]
        flat_old, flat_new = _flatten(previous), _flatten(node)
        keys = _changed_keys(flat_old, flat_new, _ordered_keys(flat_old, flat_new))
        if keys:
            changed.append(
                {
                    "id": node_id,
                    "keys": keys,
                    "from": {k: flat_old.get(k) for k in keys},
                    "to": {k: flat_new.get(k) for k in keys},
                }
            )
    return {
        "added": [n for i, n in after.items() if i not in before],
        "removed": [n for i, n in before.items() if i not in after],
        "changed": changed,
    }


def _flatten(node: dict[str, Any]) -> dict[str, Any]:
    """A node's fields, its configuration one key deep: ``config.subject``."""
    flat = {k: node[k] for k in _NODE_FIELDS if node.get(k) is not None}
    flat.update({f"config.{k}": v for k, v in (node.get("config") or {}).items()})
    return flat


def _ordered_keys(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The node's own fields in a fixed order, then its configuration's as written."""
    either = dict.fromkeys([*old, *new])
    return [k for k in _NODE_FIELDS if k in either] + [k for k in either if k.startswith("config.")]


def _changed_keys(old: dict[str, Any], new: dict[str, Any], keys: list[str]) -> list[str]:
    return [k for k in keys if old.get(k) != new.get(k) or (k in old) != (k in new)]


def _edges(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> dict[str, Any]:
    def key(edge: dict[str, Any]) -> tuple[str, str, str | None]:
        return (edge["from"], edge["to"], edge.get("when"))

    before, after = Counter(map(key, old)), Counter(map(key, new))
    return {
        "added": [_edge(k) for k in (after - before).elements()],
        "removed": [_edge(k) for k in (before - after).elements()],
    }


def _edge(key: tuple[str, str, str | None]) -> dict[str, Any]:
    source, target, when = key
    return {"from": source, "to": target, **({"when": when} if when is not None else {})}
