import { layout } from "./layout";
import { edgesOf, NODE_HEIGHT, NODE_WIDTH, nodesOf, positionOf, TRIGGER, triggerOf, type Doc, type DocNode, type XY } from "./model";

export type NodeChange = "added" | "changed";

/** The draft against an earlier version: its nodes that are new or differ (by id), and the
 * version's nodes the draft no longer has, where the version drew them. */
export type Comparison = {
  version: number;
  changes: Map<string, NodeChange>;
  removed: { node: DocNode; position: XY }[];
  edgesRemoved: number;
};

/** Compare by meaning: a node moved on the canvas is not a change. */
export function compareDocs(version: number, base: Doc, draft: Doc): Comparison {
  const before = new Map(nodesOf(base).map((n) => [n.id, n]));
  const changes = new Map<string, NodeChange>();
  for (const node of nodesOf(draft)) {
    const old = before.get(node.id);
    if (!old) changes.set(node.id, "added");
    else if (stable(withoutPosition(old)) !== stable(withoutPosition(node))) changes.set(node.id, "changed");
  }
  if (stable(withoutPosition(triggerOf(base))) !== stable(withoutPosition(triggerOf(draft)))) changes.set(TRIGGER, "changed");
  const kept = new Set(nodesOf(draft).map((n) => n.id));
  const drawn = layout(base);
  // A ghost goes where the version drew it, moved right while a draft node is there.
  const taken = [TRIGGER, ...kept].flatMap((id) => positionOf(draft, id) ?? []);
  const removed = nodesOf(drawn)
    .filter((n) => !kept.has(n.id))
    .map((node) => {
      const at = { ...(positionOf(drawn, node.id) ?? { x: 0, y: 0 }) };
      while (taken.some((p) => Math.abs(p.x - at.x) < NODE_WIDTH + 20 && Math.abs(p.y - at.y) < NODE_HEIGHT + 10)) at.x += NODE_WIDTH + 40;
      taken.push(at);
      return { node, position: at };
    });
  const edge = (e: { from: string; to: string; when?: string | null }) => `${e.from}\u0000${e.to}\u0000${e.when ?? ""}`;
  const now = new Set(edgesOf(draft).map(edge));
  const edgesRemoved = edgesOf(base).filter((e) => !now.has(edge(e))).length;
  return { version, changes, removed, edgesRemoved };
}

function withoutPosition(value: Record<string, unknown>): Record<string, unknown> {
  const rest = { ...value };
  delete rest.position;
  return rest;
}

/** JSON with keys in order, so two equal objects compare equal whatever their key order. */
function stable(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stable).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stable(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
