import {
  Background,
  BaseEdge,
  Controls,
  Handle,
  MarkerType,
  MiniMap,
  Position,
  ReactFlow,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type EdgeProps,
  type Node,
  type NodeChange,
  type NodeProps,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import { useEffect, useMemo, useState, type DragEvent } from "react";
import {
  connect as connectDoc,
  edgesOf,
  fieldOf,
  moveNode as moveDoc,
  NODE_HEIGHT,
  NODE_WIDTH,
  nodesOf,
  positionOf,
  removeNode as removeDoc,
  TRIGGER,
  triggerOf,
  type Doc,
  type XY,
} from "../model";
import type { NodeTypeInfo } from "../api/queries";
import type { Comparison } from "../diff";
import { familyClass } from "./families";
import { frameBoxes, groupsOf, joinLabel, joinPoint, placeJoined, type Box, type Group } from "../groups";

/** A step dropped into a group: the edge joining it, and the room made below the group. */
export type Joined = { from: string; when: string | null; room: { below: number; by: number } };

export type Marks = Map<string, { errors: string[]; warnings: string[] }>;

type BuilderNodeData = {
  title: string;
  type: string;
  family: string;
  errors: string[];
  warnings: string[];
  onPath: boolean;
  isTrigger: boolean;
  /** Against the version being compared with: new, different, or gone (drawn as a ghost). */
  diff?: "added" | "changed" | "removed";
};

export const PALETTE_MIME = "application/x-relay-node-type";

function BuilderNodeView({ data, selected }: NodeProps<Node<BuilderNodeData>>) {
  return (
    <>
      {!data.isTrigger && <Handle type="target" position={Position.Top} />}
      <div
        className={`flow-node builder-node ${familyClass(data.family)}${selected ? " selected" : ""}${
          data.errors.length ? " has-errors" : data.warnings.length ? " has-warnings" : ""
        }${data.onPath ? " on-path" : ""}${data.diff ? ` diff-${data.diff}` : ""}`}
        title={[...data.errors, ...data.warnings].join("\n") || undefined}
      >
        <strong>{data.title}</strong>
        <span className="muted">{data.type}</span>
        {data.diff && <span className={`diff-badge diff-badge-${data.diff}`}>{data.diff}</span>}
        {data.errors.length > 0 && <span className="node-problem">⚠ {data.errors[0]}</span>}
        {!data.errors.length && data.warnings.length > 0 && <span className="node-warning">{data.warnings[0]}</span>}
      </div>
      <Handle type="source" position={Position.Bottom} />
    </>
  );
}

type FrameData = { label: string; kind: Group["kind"]; join: string; empty: boolean };

const FRAME_ICONS: Record<Group["kind"], string> = { loop: "↻", parallel: "⇉", lane: "" };

/** A loop's body or a parallel's branches: a titled frame drawn under its nodes (it takes no
 * clicks, so the nodes inside and the pane around stay as they were). */
function GroupFrameView({ data }: NodeProps<Node<FrameData>>) {
  return (
    <div className={`group-frame group-${data.kind}`}>
      <span className="group-label">{FRAME_ICONS[data.kind]} {data.label}</span>
      {data.empty && <span className="group-hint">drop steps here</span>}
      {data.kind === "parallel" && <span className="group-slot">drop a step here for a new branch</span>}
      {data.kind === "parallel" && <span className="group-join">⤓ {data.join}</span>}
    </div>
  );
}

const NODE_TYPES = { builder: BuilderNodeView, frame: GroupFrameView };

type AroundData = { x: number; below: number };

/** The step after a loop or a parallel follows the group once it is done: its edge goes round
 * the group's frame (down its left side), not through the steps inside. */
function AroundEdgeView({ id, sourceX, sourceY, targetX, targetY, data, markerEnd, style, label }: EdgeProps<Edge<AroundData>>) {
  const { x, below } = data!;
  const down = sourceY + 14;
  const path = `M ${sourceX},${sourceY} L ${sourceX},${down} L ${x},${down} L ${x},${below} L ${targetX},${below} L ${targetX},${targetY}`;
  return <BaseEdge id={id} path={path} markerEnd={markerEnd} style={style} label={label} labelX={x} labelY={(down + below) / 2} />;
}

const EDGE_TYPES = { around: AroundEdgeView };

/** The frame a point is in: the innermost (smallest) one. */
function frameAt(boxes: Map<string, Box>, p: XY): string | null {
  let best: [string, number] | null = null;
  for (const [id, b] of boxes) {
    const inside = p.x >= b.x && p.x <= b.x + b.width && p.y >= b.y && p.y <= b.y + b.height;
    if (inside && (!best || b.width * b.height < best[1])) best = [id, b.width * b.height];
  }
  return best?.[0] ?? null;
}

const FAMILY_COLOURS: Record<string, string> = {
  "kind-trigger": "#1a7f37",
  "kind-action": "#0b5cad",
  "kind-logic": "#bf8700",
  "kind-end": "#cf222e",
};

function minimapColor(node: Node): string {
  if (node.type === "frame") return "rgba(11, 92, 173, 0.06)";
  return FAMILY_COLOURS[familyClass((node.data as BuilderNodeData).family)] ?? "#8c959f";
}

function problemWords(errors: number): string {
  return errors ? `, ${errors} error${errors > 1 ? "s" : ""}` : "";
}

/** The labels an edge leaving ``id`` may carry (null: the plain "next" edge). */
export function labelsFrom(doc: Doc, id: string, types: Map<string, NodeTypeInfo>): (string | null)[] {
  if (id === TRIGGER) return [null];
  const node = nodesOf(doc).find((n) => n.id === id);
  const info = node ? types.get(node.type) : undefined;
  if (!node || !info) return [null];
  const names: string[] = [];
  if (info.branch_list) {
    const items = fieldOf(node, info.branch_list);
    if (Array.isArray(items)) {
      for (const item of items) {
        const name = (item as { name?: unknown } | null)?.name;
        if (typeof name === "string") names.push(name);
      }
    }
  }
  return [...(info.plain_edge ? [null] : []), ...names, ...info.labels];
}

/** The draft drawn for editing: drag to move, connect handle to handle (asking for the label
 * when the source offers several), Delete removes the selection; zoom, pan and a minimap. */
export function BuilderCanvas({
  doc,
  types,
  marks,
  path,
  selected,
  onSelect,
  onChange,
  onAdd,
  fit,
  compare = null,
}: {
  doc: Doc;
  types: Map<string, NodeTypeInfo>;
  marks: Marks;
  path: Set<string>;
  selected: string | null;
  onSelect: (id: string | null) => void;
  onChange: (next: (doc: Doc) => Doc, label: string) => void;
  /** A palette item dropped at ``at``; inside a loop or a parallel, joined where ``join`` says. */
  onAdd: (type: string, at: XY, join: Joined | null) => void;
  /** Changes when the whole drawing changed (an import, auto layout): the view fits it. */
  fit: number;
  /** A version to compare the draft with: its differences are marked on the nodes. */
  compare?: Comparison | null;
}) {
  const flow = useReactFlow();
  useEffect(() => {
    if (!fit) return;
    // After React Flow has measured the new nodes.
    const timer = setTimeout(() => void flow.fitView({ maxZoom: 1 }), 60);
    return () => clearTimeout(timer);
  }, [fit, flow]);
  const [dragging, setDragging] = useState<Map<string, XY>>(new Map());
  const [pending, setPending] = useState<{ from: string; to: string; labels: (string | null)[] } | null>(null);
  const [selectedEdge, setSelectedEdge] = useState<string | null>(null);
  // The sizes React Flow measured: the minimap and fitting the view need them on each node.
  const [sizes, setSizes] = useState<Map<string, { width: number; height: number }>>(new Map());
  const groups = useMemo(() => groupsOf(doc), [doc]);
  // The frames follow their nodes as they are dragged.
  const boxes = useMemo(
    () => frameBoxes(groups, (id) => dragging.get(id) ?? positionOf(doc, id), (id) => sizes.get(id) ?? { width: NODE_WIDTH, height: NODE_HEIGHT }),
    [groups, doc, dragging, sizes],
  );

  const nodes = useMemo<(Node<BuilderNodeData> | Node<FrameData>)[]>(() => {
    const trigger = triggerOf(doc);
    const triggerTitle = typeof trigger.event === "string" && trigger.event ? `When ${trigger.event}` : "Trigger";
    const all = [
      { id: TRIGGER, title: triggerTitle, type: String(trigger.type ?? "event"), family: "trigger" },
      ...nodesOf(doc).map((n) => ({
        id: n.id,
        title: typeof n.name === "string" && n.name ? n.name : n.id,
        type: n.type,
        family: types.get(n.type)?.family ?? "unknown",
      })),
    ];
    const since = compare ? ` since v${compare.version}` : "";
    const drawn: Node<BuilderNodeData>[] = all.map((n, i) => ({
      id: n.id,
      type: "builder",
      position: dragging.get(n.id) ?? positionOf(doc, n.id) ?? { x: 0, y: i * 110 },
      selected: selected === n.id,
      measured: sizes.get(n.id),
      data: {
        title: n.title,
        type: n.type,
        family: n.family,
        errors: marks.get(n.id)?.errors ?? [],
        warnings: marks.get(n.id)?.warnings ?? [],
        onPath: path.has(n.id),
        isTrigger: n.id === TRIGGER,
        diff: compare?.changes.get(n.id),
      },
      deletable: n.id !== TRIGGER,
      ariaLabel: `${n.title} (${n.type})${problemWords(marks.get(n.id)?.errors.length ?? 0)}${
        compare?.changes.has(n.id) ? `, ${compare.changes.get(n.id)}${since}` : ""
      }`,
    }));
    // The compared version's nodes the draft no longer has: ghosts where that version drew
    // them, which cannot be selected, moved or deleted.
    const ghosts: Node<BuilderNodeData>[] = (compare?.removed ?? []).map(({ node, position }) => {
      const title = typeof node.name === "string" && node.name ? node.name : node.id;
      return {
        id: `removed:${node.id}`,
        type: "builder",
        position,
        selectable: false,
        draggable: false,
        deletable: false,
        connectable: false,
        measured: sizes.get(`removed:${node.id}`),
        data: { title, type: node.type, family: types.get(node.type)?.family ?? "unknown", errors: [], warnings: [], onPath: false, isTrigger: false, diff: "removed" },
        ariaLabel: `${title} (${node.type}), removed${since}`,
      };
    });
    // Outer frames first, so the inner ones are drawn over them.
    const depth = (g: Group): number => (g.parent ? 1 + depth(groups.find((o) => o.id === g.parent)!) : 0);
    const frames: Node<FrameData>[] = [...groups]
      .sort((a, b) => depth(a) - depth(b))
      .flatMap((g) => {
        const box = boxes.get(g.id);
        if (!box) return [];
        return [{
          id: `frame:${g.id}`,
          type: "frame",
          position: { x: box.x, y: box.y },
          width: box.width,
          height: box.height,
          style: { pointerEvents: "none" as const },
          zIndex: -1,
          selectable: false,
          draggable: false,
          connectable: false,
          deletable: false,
          focusable: false,
          ariaRole: "group",
          ariaLabel: g.label,
          data: { label: g.label, kind: g.kind, join: g.kind === "parallel" ? joinLabel(doc, g.owner) : "", empty: g.members.length === 0 },
        }];
      });
    return [...frames, ...drawn, ...ghosts];
  }, [doc, types, marks, path, selected, dragging, sizes, compare, groups, boxes]);

  const edges = useMemo<Edge[]>(
    () =>
      edgesOf(doc).map((e, i) => {
        const taken = path.has(e.from) && path.has(e.to);
        const group = e.when ? undefined : groups.find((g) => g.kind !== "lane" && g.owner === e.from && !g.members.includes(e.to));
        const frame = group ? boxes.get(group.id) : undefined;
        return {
          id: `e${i}`,
          ...(frame && { type: "around", data: { x: frame.x - 22, below: frame.y + frame.height + 16 } }),
          source: e.from,
          target: e.to,
          label: e.when ?? undefined,
          selected: selectedEdge === `e${i}`,
          markerEnd: { type: MarkerType.ArrowClosed },
          animated: taken,
          style: taken ? { stroke: "#1a7f37", strokeWidth: 2.5 } : undefined,
          ariaLabel: `edge ${e.from} to ${e.to}${e.when ? ` (${e.when})` : ""}`,
        };
      }),
    [doc, path, selectedEdge, groups, boxes],
  );

  const onNodesChange = (changes: NodeChange[]) => {
    const measured = changes.flatMap((c) => (c.type === "dimensions" && c.dimensions ? [[c.id, c.dimensions] as const] : []));
    if (measured.length) setSizes((old) => new Map([...old, ...measured]));
    for (const change of changes) {
      if (change.type === "position" && change.position) {
        const { id, position } = change;
        if (change.dragging) {
          setDragging((d) => new Map(d).set(id, position));
        } else {
          onChange((d) => moveDoc(d, id, position), "move");
          setDragging(new Map());
        }
      } else if (change.type === "position" && change.dragging === false) {
        const at = dragging.get(change.id);
        if (at) onChange((d) => moveDoc(d, change.id, at), "move");
        setDragging(new Map());
      } else if (change.type === "select" && change.selected) {
        onSelect(change.id);
        setSelectedEdge(null);
      }
    }
  };

  const onEdgesChange = (changes: EdgeChange[]) => {
    for (const c of changes) if (c.type === "select" && c.selected) setSelectedEdge(c.id);
  };

  /** Delete (or Backspace): the selected nodes and edges, with the edges of those nodes, as
   * one step to undo. */
  const onDelete = ({ nodes: gone, edges: cut }: { nodes: Node[]; edges: Edge[] }) => {
    const ids = gone.map((n) => n.id).filter((id) => id !== TRIGGER);
    const indices = cut.map((e) => Number(e.id.slice(1)));
    onChange((d) => {
      const kept = { ...d, edges: edgesOf(d).filter((_, i) => !indices.includes(i)) };
      return ids.reduce(removeDoc, kept);
    }, "delete");
    if (ids.length) onSelect(null);
  };

  const onConnect = (c: Connection) => {
    if (!c.source || !c.target || c.source === c.target) return;
    const labels = labelsFrom(doc, c.source, types);
    if (labels.length === 1) {
      onChange((d) => connectDoc(d, c.source, c.target, labels[0]!), "connect");
    } else {
      setPending({ from: c.source, to: c.target, labels });
    }
  };

  const onDrop = (event: DragEvent) => {
    const type = event.dataTransfer.getData(PALETTE_MIME);
    if (!type) return;
    event.preventDefault();
    const at = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
    const frame = frameAt(boxes, at);
    const group = frame ? groups.find((g) => g.id === frame) : undefined;
    const join = group ? joinPoint(doc, group, at, (id) => labelsFrom(doc, id, types).includes(null)) : null;
    const placed = group && join ? placeJoined(group, join, (id) => positionOf(doc, id), boxes, groups) : null;
    if (join && placed) onAdd(type, placed.position, { ...join, room: placed.room });
    else onAdd(type, { x: at.x - 100, y: at.y - 30 }, null);
  };

  return (
    <div
      className="graph builder-canvas"
      role="figure"
      aria-label="Canvas"
      onDragOver={(e) => {
        if (e.dataTransfer.types.includes(PALETTE_MIME)) {
          e.preventDefault();
          e.dataTransfer.dropEffect = "copy";
        }
      }}
      onDrop={onDrop}
    >
      <ReactFlow
        nodes={nodes}
        edges={edges}
        nodeTypes={NODE_TYPES}
        edgeTypes={EDGE_TYPES}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        onDelete={onDelete}
        onPaneClick={() => {
          onSelect(null);
          setSelectedEdge(null);
        }}
        deleteKeyCode={["Delete", "Backspace"]}
        fitView
        fitViewOptions={{ maxZoom: 1 }}
        minZoom={0.2}
      >
        <Background />
        <Controls />
        <MiniMap pannable zoomable ariaLabel="Minimap" nodeColor={minimapColor} nodeStrokeWidth={2} />
      </ReactFlow>
      {pending && (
        <div className="edge-picker card" role="dialog" aria-label="Which edge?">
          <p>
            <strong>{pending.from}</strong> → <strong>{pending.to}</strong>: which edge?
          </p>
          <div className="actions">
            {pending.labels.map((label) => (
              <button
                key={label ?? "(next)"}
                type="button"
                onClick={() => {
                  onChange((d) => connectDoc(d, pending.from, pending.to, label), "connect");
                  setPending(null);
                }}
              >
                {label ?? "next"}
              </button>
            ))}
            <button type="button" className="quiet" onClick={() => setPending(null)}>
              Cancel
            </button>
          </div>
        </div>
      )}
    </div>
  );
}
