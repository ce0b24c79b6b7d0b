import dagre from "@dagrejs/dagre";
import { EMPTY_FRAME, FRAME_PAD, groupsOf, innermost, type Group } from "./groups";
import { edgesOf, moveNode, NODE_HEIGHT, NODE_WIDTH, nodesOf, positionOf, TRIGGER, type Doc } from "./model";

/** Positions for every node that has none, by dagre (top to bottom), keeping the ones set.
 * Loops and parallel branches are laid out as clusters, so each group's nodes sit together
 * and its frame holds nothing else; the step after a loop or a parallel goes below its group. */
export function layout(doc: Doc, force = false): Doc {
  const ids = [TRIGGER, ...nodesOf(doc).map((n) => n.id)];
  if (!force && ids.every((id) => positionOf(doc, id))) return doc;
  const all = groupsOf(doc);
  const groups = all.filter((g) => g.members.length > 0);
  // An empty loop's frame is drawn below its node, as the place to drop its first step.
  const empty = all.filter((g) => g.kind === "loop" && g.members.length === 0).map((g) => g.owner);
  const g = new dagre.graphlib.Graph({ compound: groups.length > 0 });
  // Room for the frames: their titles above, their padding around, a parallel's join below.
  const framed = groups.length > 0 || empty.length > 0;
  g.setGraph({ rankdir: "TB", nodesep: framed ? 70 : 50, ranksep: framed ? 70 + FRAME_PAD.top : 70 });
  g.setDefaultEdgeLabel(() => ({}));
  ids.forEach((id) => g.setNode(id, { width: NODE_WIDTH, height: NODE_HEIGHT }));
  for (const group of groups) {
    g.setNode(group.id, {});
    if (group.parent && groups.some((o) => o.id === group.parent)) g.setParent(group.id, group.parent);
  }
  for (const id of ids) {
    const inside = innermost(groups, id);
    if (inside) g.setParent(id, inside.id);
  }
  edgesOf(doc).forEach((e) => {
    if (g.hasNode(e.from) && g.hasNode(e.to) && e.from !== e.to) g.setEdge(e.from, e.to);
  });
  // The owner's next step after every step of its group ends (drawing only: the engine
  // follows the owner's plain edge once the group is done).
  for (const group of groups) {
    if (group.kind === "lane") continue;
    const next = edgesOf(doc).find((e) => e.from === group.owner && !e.when)?.to;
    if (!next || !g.hasNode(next) || group.members.includes(next)) continue;
    for (const m of group.members) {
      if (!edgesOf(doc).some((e) => e.from === m)) g.setEdge(m, next);
    }
  }
  dagre.layout(g);
  const rows = framed ? rowsWithRoomForFrames(ids, ids.map((id) => g.node(id).y), groups, empty) : null;
  let next = doc;
  for (const id of ids) {
    if (!force && positionOf(doc, id)) continue;
    const p = g.node(id);
    next = moveNode(next, id, { x: p.x - NODE_WIDTH / 2, y: (rows?.get(id) ?? p.y) - NODE_HEIGHT / 2 });
  }
  return next;
}

/** Each node's y, by rows: dagre spaces the ranks of a compound graph far apart (it nests
 * ranks for the clusters' borders), so the rows are laid again from the top, each as far below
 * the one above as the frames ending above it and beginning at it need; and every branch of a
 * parallel starts in the parallel's first row, its lanes side by side. */
function rowsWithRoomForFrames(ids: string[], ys: number[], groups: Group[], emptyLoops: string[]): Map<string, number> {
  const levels = [...new Set(ys)].sort((a, b) => a - b);
  const rowOf = new Map(ids.map((id, i) => [id, levels.indexOf(ys[i]!)]));
  const first = (members: string[]) => Math.min(...members.map((m) => rowOf.get(m) ?? 0));
  for (const lane of groups.filter((g) => g.kind === "lane")) {
    const parallel = groups.find((g) => g.id === lane.parent);
    const up = parallel ? first(lane.members) - first(parallel.members) : 0;
    if (up > 0) lane.members.forEach((m) => rowOf.set(m, rowOf.get(m)! - up));
  }
  const count = Math.max(...rowOf.values()) + 1;
  const gaps = Array.from({ length: count }, () => 60);
  for (const group of groups) {
    const spans = group.members.map((m) => rowOf.get(m) ?? 0);
    const top = Math.min(...spans);
    const bottom = Math.max(...spans);
    gaps[top] = gaps[top]! + FRAME_PAD.top;
    if (bottom + 1 < count) gaps[bottom + 1] = gaps[bottom + 1]! + FRAME_PAD.bottom + (group.kind === "parallel" ? FRAME_PAD.join : 0);
  }
  for (const owner of emptyLoops) {
    const below = (rowOf.get(owner) ?? 0) + 1;
    if (below < count) gaps[below] = gaps[below]! + EMPTY_FRAME.gap + EMPTY_FRAME.height;
  }
  const rowY: number[] = [];
  let y = levels[0] ?? 0;
  for (let i = 0; i < count; i++) {
    if (i > 0) y += NODE_HEIGHT + gaps[i]!;
    rowY.push(y);
  }
  return new Map(ids.map((id) => [id, rowY[rowOf.get(id)!]!]));
}
