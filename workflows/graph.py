"""The definition graph as the interpreter walks it: successors by label, precomputed once."""

from __future__ import annotations

from collections import defaultdict

from definitions.models import Definition, Node


class Graph:
    def __init__(self, definition: Definition) -> None:
        self.nodes: dict[str, Node] = {node.id: node for node in definition.nodes}
        self._out: dict[str, list[tuple[str | None, str]]] = defaultdict(list)
        for edge in definition.edges:
            self._out[edge.source].append((edge.when, edge.target))
        self.goals = [node for node in definition.nodes if node.type == "goal"]

    def successor(self, node_id: str, label: str | None) -> str | None:
        """The edge labelled ``label``, else the unlabelled one (never for "error": a failure
        only follows an edge drawn for it)."""
        fallback = None
        for when, target in self._out.get(node_id, ()):
            if when == label:
                return target
            if when is None and label != "error":
                fallback = target
        return fallback

    def targets(self, node_id: str, label: str) -> list[str]:
        """Every edge labelled ``label`` (a parallel node's branches)."""
        return [target for when, target in self._out.get(node_id, ()) if when == label]

    def is_last(self, node_id: str) -> bool:
        return not self._out.get(node_id)
