"""The flow picture: a workflow's graph with how runs went through it, as data, Mermaid or SVG.

Pure: it takes the canonical definition and the counts ``storage.analytics.transitions`` found,
and draws. How an edge is counted — runs record steps, not edges:
- an edge that is the only way into its target counts the target's visits (exact, whatever
  order the steps were recorded in: a loop or parallel node records its own step after its
  body's);
- an edge into a node with several ways in counts the times the target's step directly
  followed the source's step in a run (the trigger's edges: runs whose first step it was).
A goal is reached by a jump from anywhere, so its edges are always counted the second way. How
a node is drawn (action, branch, wait…) is its type's ``kind`` in ``definitions.nodes``.

The SVG layout is layered top to bottom: a node's layer is the longest path to it from the
trigger (edges that close a cycle are set aside and drawn on the right, going up), and nodes in
a layer are ordered by the mean position of their neighbours to keep crossings few.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from definitions.models import START
from definitions.nodes import node_type


@dataclass
class FlowNode:
    id: str
    type: str
    label: str
    visits: int


@dataclass
class FlowEdge:
    source: str
    target: str
    label: str | None
    count: int


def flow_graph(
    definition: dict[str, Any],
    runs: int,
    visits: dict[str, int],
    entries: dict[str, int],
    pairs: dict[tuple[str, str], int],
) -> tuple[list[FlowNode], list[FlowEdge]]:
    """The definition's nodes (the trigger first) and edges, with their counts."""
    trigger = definition.get("trigger") or {}
    start_label = str(trigger.get("event") or trigger.get("type") or "manual")
    nodes = [FlowNode(START, "trigger", start_label, runs)]
    kinds: dict[str, str] = {}
    for node in definition.get("nodes", []):
        kinds[node["id"]] = node["type"]
        label = str(node.get("name") or node["id"])
        nodes.append(FlowNode(node["id"], node["type"], label, visits.get(node["id"], 0)))
    ways_in: dict[str, int] = defaultdict(int)
    for edge in definition.get("edges", []):
        ways_in[edge["to"]] += 1
    edges = []
    for edge in definition.get("edges", []):
        source, target = edge["from"], edge["to"]
        if ways_in[target] == 1 and not _entered_by_condition(kinds.get(target)):
            count = visits.get(target, 0)
        elif source == START:
            count = entries.get(target, 0)
        else:
            count = pairs.get((source, target), 0)
        edges.append(FlowEdge(source, target, edge.get("when"), count))
    return nodes, edges


def _entered_by_condition(kind: str | None) -> bool:
    declared = node_type(kind) if kind else None
    return declared is not None and declared.entered_by_condition


# --- Mermaid -----------------------------------------------------------------------------------


def to_mermaid(nodes: list[FlowNode], edges: list[FlowEdge]) -> str:
    # Mermaid reserves words such as "end": nodes get neutral ids, labels carry the real ones.
    ids = {node.id: f"n{i}" for i, node in enumerate(nodes)}
    lines = ["flowchart TD"]
    for node in nodes:
        unit = "runs" if node.type == "trigger" else "visits"
        text = _mermaid_text(f"{node.label}<br/>{node.type} · {node.visits} {unit}")
        shape = '(["{}"])' if node.type == "trigger" else '["{}"]'
        lines.append(f"    {ids[node.id]}{shape.format(text)}")
    for edge in edges:
        if edge.source not in ids or edge.target not in ids:
            continue
        label = _mermaid_text(f"{edge.label} · {edge.count}" if edge.label else str(edge.count))
        lines.append(f'    {ids[edge.source]} -->|"{label}"| {ids[edge.target]}')
    return "\n".join(lines) + "\n"


def _mermaid_text(text: str) -> str:
    return text.replace('"', "#quot;")


# --- layout ------------------------------------------------------------------------------------

NODE_W, NODE_H = 200, 64
GAP_X, GAP_Y = 48, 84
MARGIN, TITLE_H = 32, 40
LANE = 28


@dataclass
class Layout:
    positions: dict[str, tuple[float, float]]
    """Top-left corner of each node's box."""
    layers: dict[str, int]
    width: float
    height: float
    first_lane: float
    """The x of the first lane for edges going back up."""


def layout(nodes: list[FlowNode], edges: list[FlowEdge]) -> Layout:
    ids = [node.id for node in nodes]
    known = set(ids)
    succ: dict[str, list[str]] = defaultdict(list)
    for edge in edges:
        if edge.source in known and edge.target in known:
            succ[edge.source].append(edge.target)
    forward = _forward_edges(ids, succ)
    layers = _layers(ids, forward)
    rows = _ordered_rows(ids, layers, forward)
    widest = max(len(row) for row in rows)
    nodes_width = widest * NODE_W + (widest - 1) * GAP_X
    back = sum(1 for e in edges if e.source in known and layers[e.target] <= layers[e.source])
    # Edges going back up (cycles) run in lanes right of every node, one lane each.
    width = 2 * MARGIN + nodes_width + (LANE * back + LANE if back else 0)
    positions: dict[str, tuple[float, float]] = {}
    for depth, row in enumerate(rows):
        row_width = len(row) * NODE_W + (len(row) - 1) * GAP_X
        left = MARGIN + (nodes_width - row_width) / 2
        for i, node_id in enumerate(row):
            y = MARGIN + TITLE_H + depth * (NODE_H + GAP_Y)
            positions[node_id] = (left + i * (NODE_W + GAP_X), y)
    height = MARGIN * 2 + TITLE_H + len(rows) * NODE_H + (len(rows) - 1) * GAP_Y
    return Layout(positions, layers, width, height, MARGIN + nodes_width + LANE)


def _forward_edges(ids: list[str], succ: dict[str, list[str]]) -> set[tuple[str, str]]:
    """The edges left once those closing a cycle (to a node on the DFS stack) are set aside."""
    forward: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1: on the stack, 2: done

    def visit(start: str) -> None:
        # Iterative, so a long chain of nodes cannot exhaust the recursion limit.
        state[start] = 1
        stack = [(start, iter(succ[start]))]
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                continue  # a back edge
            else:
                forward.add((node, child))
                if child not in state:
                    state[child] = 1
                    stack.append((child, iter(succ[child])))

    for node_id in ids:
        if node_id not in state:
            visit(node_id)
    return forward


def _layers(ids: list[str], forward: set[tuple[str, str]]) -> dict[str, int]:
    preds: dict[str, list[str]] = defaultdict(list)
    for source, target in forward:
        preds[target].append(source)
    layers: dict[str, int] = {}
    # Longest path over the acyclic forward edges, by repeated relaxation in topological order.
    indegree = {node_id: len(preds[node_id]) for node_id in ids}
    ready = [node_id for node_id in ids if indegree[node_id] == 0]
    order = []
    while ready:
        node_id = ready.pop(0)
        order.append(node_id)
        for source, target in sorted(forward):
            if source == node_id:
                indegree[target] -= 1
                if indegree[target] == 0:
                    ready.append(target)
    for node_id in order:
        before = [layers[p] + 1 for p in preds[node_id] if p in layers]
        layers[node_id] = max(before) if before else (0 if node_id == START else 1)
    return layers


def _ordered_rows(
    ids: list[str], layers: dict[str, int], forward: set[tuple[str, str]]
) -> list[list[str]]:
    depth = max(layers.values()) + 1
    rows: list[list[str]] = [[] for _ in range(depth)]
    for node_id in ids:
        rows[layers[node_id]].append(node_id)
    rows = [row for row in rows if row] or [[START]]
    neighbours_up: dict[str, list[str]] = defaultdict(list)
    neighbours_down: dict[str, list[str]] = defaultdict(list)
    for source, target in forward:
        neighbours_up[target].append(source)
        neighbours_down[source].append(target)
    for _ in range(4):  # a few barycenter sweeps, down then up
        for sweep, neighbours in ((range(1, len(rows)), neighbours_up),
                                  (range(len(rows) - 2, -1, -1), neighbours_down)):  # fmt: skip
            for i in sweep:
                place = {n: k for row in rows for k, n in enumerate(row)}
                rows[i].sort(key=lambda n: _barycenter(n, neighbours, place))
    return rows


def _barycenter(node_id: str, neighbours: dict[str, list[str]], place: dict[str, int]) -> float:
    around = [place[n] for n in neighbours[node_id] if n in place]
    return sum(around) / len(around) if around else place[node_id]


# --- SVG ---------------------------------------------------------------------------------------

_FILL = {
    "trigger": "#dbeafe",
    "action": "#dcfce7",
    "branch": "#fef3c7",
    "wait": "#ede9fe",
    "goal": "#fce7f3",
    "stop": "#e5e7eb",
    "flow": "#f1f5f9",
}


def to_svg(nodes: list[FlowNode], edges: list[FlowEdge], title: str) -> str:
    """A standalone SVG document: boxes with label, type and visits; arrows with their branch
    label and count, thicker the more runs took them."""
    placed = layout(nodes, edges)
    pos, layers = placed.positions, placed.layers
    heaviest = max([edge.count for edge in edges] + [1])
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{placed.width:.0f}" '
        f'height="{placed.height:.0f}" viewBox="0 0 {placed.width:.0f} {placed.height:.0f}" '
        'font-family="Helvetica, Arial, sans-serif">',
        "<defs><marker id='arrow' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='11' "
        "markerHeight='11' markerUnits='userSpaceOnUse' orient='auto-start-reverse'>"
        "<path d='M 0 0 L 10 5 L 0 10 z' fill='#475569'/></marker></defs>",
        '<rect width="100%" height="100%" fill="#ffffff"/>',
        f'<text x="{MARGIN}" y="{MARGIN + 8}" font-size="16" font-weight="bold" '
        f'fill="#0f172a">{escape(title)}</text>',
    ]
    labels = []
    # Shorter cycles take the inner lanes, so lanes nest instead of crossing.
    backs = sorted(
        (e for e in edges if e.source in pos and layers[e.target] <= layers[e.source]),
        key=lambda e: layers[e.source] - layers[e.target],
    )
    lanes = {id(e): placed.first_lane + LANE * i for i, e in enumerate(backs)}
    for edge in edges:
        if edge.source not in pos or edge.target not in pos:
            continue
        if layers[edge.target] > layers[edge.source]:
            path, (lx, ly) = _down_path(pos[edge.source], pos[edge.target])
        else:
            path, (lx, ly) = _back_path(pos[edge.source], pos[edge.target], lanes[id(edge)])
        width = 1.2 + 3.5 * edge.count / heaviest
        parts.append(
            f'<path d="{path}" fill="none" stroke="#475569" stroke-width="{width:.1f}" '
            'marker-end="url(#arrow)"/>'
        )
        text = f"{edge.label} · {edge.count}" if edge.label else str(edge.count)
        labels.append(_edge_label(lx, ly, text))
    for node in nodes:
        parts.append(_node_box(node, *pos[node.id]))
    parts += labels  # on top of lines and boxes, so they stay readable
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _down_path(
    source: tuple[float, float], target: tuple[float, float]
) -> tuple[str, tuple[float, float]]:
    """Bottom centre to top centre, as an S-curve; and the curve's midpoint for the label."""
    (sx, sy), (tx, ty) = source, target
    x0, y0, x3, y3 = sx + NODE_W / 2, sy + NODE_H, tx + NODE_W / 2, ty
    bend = min((y3 - y0) / 2, GAP_Y)
    x1, y1, x2, y2 = x0, y0 + bend, x3, y3 - bend
    middle = ((x0 + 3 * x1 + 3 * x2 + x3) / 8, (y0 + 3 * y1 + 3 * y2 + y3) / 8)
    path = f"M {x0:.1f} {y0:.1f} C {x1:.1f} {y1:.1f}, {x2:.1f} {y2:.1f}, {x3:.1f} {y3:.1f}"
    return path, middle


def _back_path(
    source: tuple[float, float], target: tuple[float, float], lane: float
) -> tuple[str, tuple[float, float]]:
    """Out of the source's right side to ``lane``, up it, and into the target's right side."""
    (sx, sy), (tx, ty) = source, target
    x0, y0, x3, y3 = sx + NODE_W, sy + NODE_H / 2, tx + NODE_W, ty + NODE_H / 2
    r = 10.0
    up = -1 if y3 < y0 else 1
    path = (
        f"M {x0:.1f} {y0:.1f} H {lane - r:.1f} Q {lane:.1f} {y0:.1f} {lane:.1f} "
        f"{y0 + up * r:.1f} V {y3 - up * r:.1f} Q {lane:.1f} {y3:.1f} {lane - r:.1f} {y3:.1f} "
        f"H {x3:.1f}"
    )
    return path, (lane, (y0 + y3) / 2)


def _edge_label(x: float, y: float, text: str) -> str:
    width = 7.2 * len(text) + 12
    return (
        f'<g><rect x="{x - width / 2:.1f}" y="{y - 10:.1f}" width="{width:.1f}" height="20" '
        'rx="10" fill="#ffffff" stroke="#94a3b8"/>'
        f'<text x="{x:.1f}" y="{y + 4:.1f}" font-size="12" text-anchor="middle" '
        f'fill="#0f172a">{escape(text)}</text></g>'
    )


def _node_box(node: FlowNode, x: float, y: float) -> str:
    declared = node_type(node.type)
    kind = "trigger" if node.type == "trigger" else declared.kind if declared else "action"
    unit = "runs" if node.type == "trigger" else "visits"
    label = node.label if len(node.label) <= 26 else node.label[:25] + "…"
    centre = x + NODE_W / 2
    return (
        f"<g><title>{escape(node.id)}</title>"
        f'<rect x="{x:.1f}" y="{y:.1f}" width="{NODE_W}" height="{NODE_H}" rx="10" '
        f'fill={quoteattr(_FILL[kind])} stroke="#334155" stroke-width="1.2"/>'
        f'<text x="{centre:.1f}" y="{y + 22:.1f}" font-size="14" font-weight="bold" '
        f'text-anchor="middle" fill="#0f172a">{escape(label)}</text>'
        f'<text x="{centre:.1f}" y="{y + 39:.1f}" font-size="11" text-anchor="middle" '
        f'fill="#475569">{escape(node.type)}</text>'
        f'<text x="{centre:.1f}" y="{y + 56:.1f}" font-size="12" text-anchor="middle" '
        f'fill="#0f172a">{node.visits} {unit}</text></g>'
    )
