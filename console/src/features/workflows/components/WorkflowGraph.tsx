import dagre from "@dagrejs/dagre";
import {
  Background,
  Controls,
  Handle,
  MarkerType,
  Position,
  ReactFlow,
  type Edge,
  type Node,
  type NodeProps,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useMemo } from "react";
import type { Graph } from "../../../api/client";
/** What a node says instead of its visits, when the graph shows something else (where the
 * runs of a migration are); ``warn`` marks it for attention. */
export type NodeBadge = { text: string; warn?: boolean };

type FlowData = {
  label: string;
  type: string;
  visits: number;
  runs: number;
  badge?: NodeBadge | null;
  onPath: boolean;
  selected: boolean;
  preview: boolean;
  onSelect?: (id: string) => void;
};

const WIDTH = 190;
const HEIGHT = 64;

/** Node families, coloured as the builders people know draw them (trigger green, actions blue,
 * logic yellow, ends red); the type is always written too. */
export function family(type: string): "trigger" | "action" | "logic" | "end" {
  if (type === "trigger") return "trigger";
  if (type === "end" || type === "stop" || type === "goal") return "end";
  if (/^(send_|http|notify|create_|update_|delete_|add_|remove_|tag|record|export|custom|slack|webhook)/.test(type)) {
    return "action";
  }
  return "logic";
}

function FlowNodeView({ id, data }: NodeProps<Node<FlowData>>) {
  const share = data.runs ? ` · ${Math.round((data.visits / data.runs) * 100)}% of runs` : "";
  const warn = data.badge?.warn ? " warn" : "";
  const className = `flow-node kind-${family(data.type)}${data.onPath ? " on-path" : ""}${data.selected ? " selected" : ""}${warn}`;
  const visits = `${data.visits} ${data.visits === 1 ? "visit" : "visits"}`;
  // With badges (``null``: nothing to say of this node) the badge replaces the visits; a
  // preview says nothing but the node.
  const count = data.preview ? "" : data.badge === undefined ? `${visits}${share}` : (data.badge?.text ?? "");
  const content = (
    <>
      <strong>{data.label}</strong>
      <span className="muted">{data.type}</span>
      {count && <span className={`count${data.badge ? " badge" : ""}${warn}`}>{count}</span>}
    </>
  );
  const name = `${data.label} (${data.type})${count ? `: ${data.badge === undefined ? visits : count}` : ""}`;
  return (
    <>
      <Handle type="target" position={Position.Top} />
      {data.onSelect ? (
        // A button, so a node is reached with Tab and opened with Enter like any control.
        <button type="button" className={className} aria-label={name} aria-pressed={data.selected} onClick={() => data.onSelect?.(id)}>
          {content}
        </button>
      ) : (
        <div className={className} aria-label={name} role="img">
          {content}
        </div>
      )}
      <Handle type="source" position={Position.Bottom} />
    </>
  );
}

const NODE_TYPES = { relay: FlowNodeView };

function layout(graph: Graph): Map<string, { x: number; y: number }> {
  const g = new dagre.graphlib.Graph();
  g.setGraph({ rankdir: "TB", nodesep: 40, ranksep: 60 });
  g.setDefaultEdgeLabel(() => ({}));
  graph.nodes.forEach((n) => g.setNode(n.id, { width: WIDTH, height: HEIGHT }));
  graph.edges.forEach((e) => g.setEdge(e.from, e.to));
  dagre.layout(g);
  return new Map(
    graph.nodes.map((n) => {
      const p = g.node(n.id);
      return [n.id, { x: p.x - WIDTH / 2, y: p.y - HEIGHT / 2 }];
    }),
  );
}

/** A workflow's flow as React Flow draws it, laid out top to bottom by dagre: per node its
 * visits and share of the runs, per edge its label, runs and share of its source's visits
 * (branch split, drop-off). ``path`` highlights one run's nodes. ``badges`` replace the
 * figures: each node says its badge (or nothing), each edge only its label;
 * a ``preview`` (a template's) shows the flow alone, without figures. */
export function WorkflowGraph({
  graph,
  path,
  selected,
  onSelect,
  badges,
  label,
  preview = false,
}: {
  graph: Graph;
  preview?: boolean;
  path?: Set<string>;
  selected?: string | null;
  onSelect?: (nodeId: string) => void;
  badges?: Map<string, NodeBadge>;
  label: string;
}) {
  const { nodes, edges } = useMemo(() => {
    const positions = layout(graph);
    const visits = new Map(graph.nodes.map((n) => [n.id, n.visits]));
    const nodes: Node<FlowData>[] = graph.nodes.map((n) => ({
      id: n.id,
      type: "relay",
      position: positions.get(n.id) ?? { x: 0, y: 0 },
      data: {
        label: n.label,
        type: n.type,
        visits: n.visits,
        runs: graph.runs,
        badge: badges ? (badges.get(n.id) ?? null) : undefined,
        onPath: path?.has(n.id) ?? false,
        selected: selected === n.id,
        preview,
        onSelect,
      },
    }));
    const edges: Edge[] = graph.edges.map((e, i) => {
      const from = visits.get(e.from) ?? 0;
      const share = from ? ` (${Math.round((e.count / from) * 100)}%)` : "";
      const taken = path ? path.has(e.from) && path.has(e.to) : false;
      return {
        id: `${e.from}->${e.to}#${i}`,
        source: e.from,
        target: e.to,
        label: preview || badges ? (e.when ?? undefined) : `${e.when ? `${e.when} · ` : ""}${e.count}${share}`,
        markerEnd: { type: MarkerType.ArrowClosed },
        animated: taken,
        style: taken ? { stroke: "#1a7f37", strokeWidth: 2.5 } : undefined,
      };
    });
    return { nodes, edges };
  }, [graph, path, selected, onSelect, badges, preview]);

  return (
    <div className={preview ? "graph preview" : "graph"} role="figure" aria-label={label}>
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        fitView
        fitViewOptions={{ maxZoom: 1 }}
        nodesDraggable={false}
        nodesConnectable={false}
        nodesFocusable={false}
        elementsSelectable={false}
        minZoom={0.2}
      >
        <Background />
        <Controls showInteractive={false} />
      </ReactFlow>
    </div>
  );
}
