import { edgesOf, fieldOf, NODE_HEIGHT, NODE_WIDTH, nodesOf, TRIGGER, type Doc, type DocEdge, type DocNode, type XY } from "./model";

/** Loops and parallel branches as the canvas draws them: a frame around a loop's body (the nodes
 * hanging on its ``body`` edge), and around a parallel node's branches with a lane for each
 * ``branch`` edge. Derived from the edges alone — the stored document has no groups — so the
 * frames follow every edit, and a node type with a ``body`` edge is drawn as a loop unasked. */
export type Group = {
  /** ``loop:<owner>``, ``parallel:<owner>`` or ``lane:<owner>:<n>``. */
  id: string;
  owner: string;
  kind: "loop" | "parallel" | "lane";
  label: string;
  /** Every node inside, those of groups nested in it included. */
  members: string[];
  /** The group drawn around this one. */
  parent: string | null;
};

export type Box = { x: number; y: number; width: number; height: number };

/** Room around a group's contents: its title above them, a parallel's join below. */
export const FRAME_PAD = { side: 16, top: 30, bottom: 16, join: 26, slot: 150 };
/** An empty loop's frame: this far below its node, this tall. */
export const EMPTY_FRAME = { gap: 40, height: 90 };

export function groupsOf(doc: Doc): Group[] {
  const out = new Map<string, DocEdge[]>();
  for (const e of edgesOf(doc)) out.set(e.from, [...(out.get(e.from) ?? []), e]);
  const ids = new Set(nodesOf(doc).map((n) => n.id));
  // A sub-flow is walked from its entry until no edge leads on (workflows/nodes/loops.py).
  const reach = (start: string, owner: string): string[] => {
    const seen: string[] = [];
    const queue = [start];
    while (queue.length) {
      const id = queue.shift()!;
      if (id === owner || id === TRIGGER || !ids.has(id) || seen.includes(id)) continue;
      seen.push(id);
      for (const e of out.get(id) ?? []) queue.push(e.to);
    }
    return seen;
  };
  const groups: Group[] = [];
  for (const node of nodesOf(doc)) {
    const leaving = out.get(node.id) ?? [];
    const bodies = leaving.filter((e) => e.when === "body");
    if (bodies.length || node.type === "for_each") {
      const members = [...new Set(bodies.flatMap((e) => reach(e.to, node.id)))];
      groups.push({ id: `loop:${node.id}`, owner: node.id, kind: "loop", label: loopLabel(node), members, parent: null });
    }
    const branches = leaving.filter((e) => e.when === "branch");
    if (branches.length || node.type === "parallel") {
      const id = `parallel:${node.id}`;
      const taken = new Set<string>();
      const lanes = branches.map((e, i) => {
        // Branches that meet again: the shared steps are drawn in the first lane reaching them.
        const members = reach(e.to, node.id).filter((m) => !taken.has(m));
        members.forEach((m) => taken.add(m));
        return { id: `lane:${node.id}:${i}`, owner: node.id, kind: "lane" as const, label: `branch ${i + 1}`, members, parent: id };
      });
      groups.push({ id, owner: node.id, kind: "parallel", label: parallelLabel(node), members: [...taken], parent: null }, ...lanes);
    }
  }
  for (const g of groups) {
    if (g.kind === "lane") continue;
    g.parent = innermost(groups.filter((o) => o !== g && o.owner !== g.owner), g.owner)?.id ?? null;
  }
  // Two loops each in the other's body (an edge drawn back while editing): neither is drawn
  // inside the other, rather than frames nesting without end.
  for (const g of groups) {
    const seen = new Set<string>([g.id]);
    for (let up = g.parent; up; up = groups.find((o) => o.id === up)?.parent ?? null) {
      if (seen.has(up)) {
        g.parent = null;
        break;
      }
      seen.add(up);
    }
  }
  return groups;
}

/** The smallest group ``id`` is drawn in. */
export function innermost(groups: Group[], id: string): Group | undefined {
  let best: Group | undefined;
  for (const g of groups) if (g.members.includes(id) && (!best || g.members.length < best.members.length)) best = g;
  return best;
}

function loopLabel(node: DocNode): string {
  if (node.type !== "for_each") return `${titleOf(node)}: body`;
  const items = fieldOf(node, "items");
  const as = fieldOf(node, "as");
  const list = typeof items === "string" ? items : items === undefined ? "…" : JSON.stringify(items);
  const concurrency = Number(fieldOf(node, "concurrency") ?? 1);
  return `for each ${typeof as === "string" && as ? as : "item"} in ${list}${concurrency > 1 ? ` · ${concurrency} at once` : ""}`;
}

function parallelLabel(node: DocNode): string {
  return `${titleOf(node)}: branches at once`;
}

/** What joins a parallel's branches, in words, for the foot of its frame. */
export function joinLabel(doc: Doc, owner: string): string {
  const node = nodesOf(doc).find((n) => n.id === owner);
  return fieldOf(node ?? { id: owner, type: "parallel" }, "join") === "any" ? "joins when the first branch ends" : "joins when every branch has ended";
}

function titleOf(node: DocNode): string {
  return typeof node.name === "string" && node.name ? node.name : node.id;
}

/** Each group's frame, from where its nodes are drawn (``at``) and how big they are: around
 * its members and nested frames; an empty loop's below its node, as a place to drop steps. */
export function frameBoxes(groups: Group[], at: (id: string) => XY | undefined, size: (id: string) => { width: number; height: number }): Map<string, Box> {
  const boxes = new Map<string, Box>();
  const box = (g: Group): Box | null => {
    if (boxes.has(g.id)) return boxes.get(g.id)!;
    const parts: Box[] = [];
    for (const m of g.members) {
      const p = at(m);
      if (p) parts.push({ ...p, ...size(m) });
    }
    for (const child of groups) if (child.parent === g.id) {
      const b = box(child);
      if (b) parts.push(b);
    }
    let result: Box | null = null;
    if (parts.length) {
      const x = Math.min(...parts.map((b) => b.x));
      const y = Math.min(...parts.map((b) => b.y));
      const right = Math.max(...parts.map((b) => b.x + b.width));
      const bottom = Math.max(...parts.map((b) => b.y + b.height));
      const foot = g.kind === "parallel" ? FRAME_PAD.join : 0;
      // A parallel keeps a slot beside its lanes where a dropped step starts a new branch.
      const slot = g.kind === "parallel" ? FRAME_PAD.slot : 0;
      result = {
        x: x - FRAME_PAD.side,
        y: y - FRAME_PAD.top,
        width: right - x + 2 * FRAME_PAD.side + slot,
        height: bottom - y + FRAME_PAD.top + FRAME_PAD.bottom + foot,
      };
    } else if (g.kind !== "lane") {
      const owner = at(g.owner);
      if (owner) result = { x: owner.x - FRAME_PAD.side, y: owner.y + NODE_HEIGHT + EMPTY_FRAME.gap, width: NODE_WIDTH + 2 * FRAME_PAD.side, height: EMPTY_FRAME.height };
    }
    if (result) boxes.set(g.id, result);
    return result;
  };
  groups.forEach(box);
  // Lanes side by side are as tall as the tallest: columns of one frame.
  for (const parallel of groups.filter((g) => g.kind === "parallel")) {
    const lanes = groups.filter((g) => g.parent === parallel.id && boxes.has(g.id)).map((g) => boxes.get(g.id)!);
    if (!lanes.length) continue;
    const top = Math.min(...lanes.map((b) => b.y));
    const bottom = Math.max(...lanes.map((b) => b.y + b.height));
    for (const b of lanes) Object.assign(b, { y: top, height: bottom - top });
  }
  return boxes;
}

/** Where a step dropped at ``point`` inside group ``g`` joins it: after the member above the
 * point that still has its plain edge free (the body or branch goes on from there), or, in an
 * empty loop or outside a parallel's lanes, on the owner's ``body`` / ``branch`` edge. */
export function joinPoint(
  doc: Doc,
  g: Group,
  point: XY,
  plain: (id: string) => boolean,
): { from: string; when: string | null } | null {
  const free = g.members.filter(
    (m) => plain(m) && !edgesOf(doc).some((e) => e.from === m && !e.when),
  );
  const above = free
    .map((m) => ({ m, p: nodesOf(doc).find((n) => n.id === m)?.position }))
    .filter((c) => c.p && c.p.y < point.y)
    .sort((a, b) => b.p!.y - a.p!.y);
  if (g.kind !== "parallel" && above[0]) return { from: above[0].m, when: null };
  if (g.kind === "loop" && g.members.length === 0) return { from: g.owner, when: "body" };
  if (g.kind === "parallel") return { from: g.owner, when: "branch" };
  return null;
}

/** Where a step joining group ``g`` at ``join`` is drawn: below the step it follows, at the top
 * of a new lane right of the others, or below an empty loop's node; and how far the nodes under
 * the group's frame move down to make room for it. */
export function placeJoined(
  g: Group,
  join: { from: string; when: string | null },
  at: (id: string) => XY | undefined,
  boxes: Map<string, Box>,
  groups: Group[],
): { position: XY; room: { below: number; by: number } } | null {
  const from = at(join.from);
  const frame = boxes.get(g.id);
  if (!from) return null;
  let position: XY;
  if (join.when === "branch") {
    const lanes = groups.filter((o) => o.parent === g.id).flatMap((o) => (boxes.has(o.id) ? [boxes.get(o.id)!] : []));
    position = lanes.length
      ? { x: Math.max(...lanes.map((b) => b.x + b.width)) + 40 + FRAME_PAD.side, y: Math.min(...lanes.map((b) => b.y)) + FRAME_PAD.top }
      : { x: from.x, y: from.y + NODE_HEIGHT + 70 + FRAME_PAD.top };
  } else if (join.when === "body") {
    position = { x: from.x, y: from.y + NODE_HEIGHT + 70 + FRAME_PAD.top };
  } else {
    position = { x: from.x, y: from.y + NODE_HEIGHT + 60 };
  }
  const bottom = frame ? frame.y + frame.height : from.y + NODE_HEIGHT;
  const grows = position.y + NODE_HEIGHT + FRAME_PAD.bottom + (g.kind === "parallel" ? FRAME_PAD.join : 0) + 8 - bottom;
  return { position, room: { below: bottom - 1, by: Math.max(0, grows) } };
}
