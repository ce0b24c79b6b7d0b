/** The draft the builder edits: a definition document (SPEC §2) as nodes + edges. It is the
 * one state of the page — the canvas, the forms and the JSON view all read and write it — so
 * switching views loses nothing. Presentation fields the engine ignores keep the drawing:
 * each node's ``position`` and the trigger's in ``ui.trigger_position``. */
export type Doc = Record<string, unknown> & {
  name?: string;
  trigger?: Record<string, unknown> | string;
  nodes?: DocNode[];
  edges?: DocEdge[];
  ui?: Record<string, unknown>;
};
export type DocNode = Record<string, unknown> & {
  id: string;
  type: string;
  config?: Record<string, unknown>;
  position?: XY;
};
export type DocEdge = Record<string, unknown> & { from: string; to: string; when?: string | null };
export type XY = { x: number; y: number };

export const TRIGGER = "trigger";
export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 66;

export function emptyDoc(): Doc {
  return {
    name: "Untitled workflow",
    trigger: { type: "event", event: "" },
    nodes: [],
    edges: [],
    ui: { trigger_position: { x: 0, y: 0 } },
  };
}

export function nodesOf(doc: Doc): DocNode[] {
  return Array.isArray(doc.nodes) ? doc.nodes : [];
}

export function edgesOf(doc: Doc): DocEdge[] {
  return Array.isArray(doc.edges) ? doc.edges : [];
}

export function triggerOf(doc: Doc): Record<string, unknown> {
  const t = doc.trigger;
  if (typeof t === "string") return { type: "event", event: t };
  return t && typeof t === "object" ? t : {};
}

/** Whether the canvas can edit this document as it is: nodes + edges of the canonical
 * ``known`` types, nothing else (other shapes are drawn from the server's canonical form). */
export function isGraphDoc(doc: unknown, known: ReadonlySet<string>): doc is Doc {
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) return false;
  const d = doc as Doc;
  return (
    (d.nodes === undefined || Array.isArray(d.nodes)) &&
    (d.edges === undefined || Array.isArray(d.edges)) &&
    !("steps" in d) &&
    !("actions" in d) &&
    nodesOf(d).every((n) => n && typeof n.id === "string" && known.has(n.type)) &&
    edgesOf(d).every((e) => e && typeof e.from === "string" && typeof e.to === "string")
  );
}

/** A key of a node's configuration, wherever the document keeps it (on the node or in
 * ``config``, as the canonical form writes it). */
export function fieldOf(node: DocNode, key: string): unknown {
  if (node.config && typeof node.config === "object" && key in node.config) return node.config[key];
  return node[key];
}

export function positionOf(doc: Doc, id: string): XY | undefined {
  const p = id === TRIGGER ? doc.ui?.trigger_position : nodesOf(doc).find((n) => n.id === id)?.position;
  if (p && typeof p === "object" && typeof (p as XY).x === "number" && typeof (p as XY).y === "number") {
    return p as XY;
  }
  return undefined;
}

// ---------------------------------------------------------------------------- edits
// Each returns a new document; the caller records it for undo.

export function newId(doc: Doc, type: string): string {
  const taken = new Set(nodesOf(doc).map((n) => n.id));
  for (let i = 1; ; i++) {
    const id = `${type}_${i}`;
    if (!taken.has(id)) return id;
  }
}

export function addNode(doc: Doc, type: string, position: XY, defaults: Record<string, unknown> = {}): [Doc, string] {
  const id = newId(doc, type);
  const node: DocNode = { id, type, ...defaults, position: round(position) };
  return [{ ...doc, nodes: [...nodesOf(doc), node], edges: edgesOf(doc) }, id];
}

export function moveNode(doc: Doc, id: string, position: XY): Doc {
  const at = positionOf(doc, id);
  if (at && at.x === Math.round(position.x) && at.y === Math.round(position.y)) return doc;
  if (id === TRIGGER) return { ...doc, ui: { ...(doc.ui ?? {}), trigger_position: round(position) } };
  return { ...doc, nodes: nodesOf(doc).map((n) => (n.id === id ? { ...n, position: round(position) } : n)) };
}

/** Every node (and the trigger) drawn lower than ``below``, except ``keep``, moved down by
 * ``by``: room for a group that grew. */
export function makeRoom(doc: Doc, below: number, by: number, keep: ReadonlySet<string>): Doc {
  if (by <= 0) return doc;
  const ids = [TRIGGER, ...nodesOf(doc).map((n) => n.id)];
  return ids.reduce((d, id) => {
    const at = positionOf(d, id);
    return at && at.y > below && !keep.has(id) ? moveNode(d, id, { x: at.x, y: at.y + by }) : d;
  }, doc);
}

export function removeNode(doc: Doc, id: string): Doc {
  if (id === TRIGGER) return doc;
  return {
    ...doc,
    nodes: nodesOf(doc).filter((n) => n.id !== id),
    edges: edgesOf(doc).filter((e) => e.from !== id && e.to !== id),
  };
}

export function connect(doc: Doc, from: string, to: string, when: string | null): Doc {
  const edge: DocEdge = when ? { from, to, when } : { from, to };
  const exists = edgesOf(doc).some((e) => e.from === from && e.to === to && (e.when ?? null) === when);
  return exists ? doc : { ...doc, edges: [...edgesOf(doc), edge] };
}

export function removeEdge(doc: Doc, index: number): Doc {
  return { ...doc, edges: edgesOf(doc).filter((_, i) => i !== index) };
}

export function relabelEdge(doc: Doc, index: number, when: string | null): Doc {
  return {
    ...doc,
    edges: edgesOf(doc).map((e, i) => {
      if (i !== index) return e;
      const { when: _old, ...rest } = e;
      void _old;
      return when ? { ...rest, when } : (rest as DocEdge);
    }),
  };
}

/** Sets (or, with ``undefined``, removes) a key of a node's configuration where the node keeps
 * its configuration: in ``config`` when it has one, else on the node. */
export function setField(doc: Doc, id: string, key: string, value: unknown): Doc {
  return {
    ...doc,
    nodes: nodesOf(doc).map((n) => {
      if (n.id !== id) return n;
      const inConfig = n.config && typeof n.config === "object" && !(key in n && !(key in n.config));
      const target = inConfig ? { ...n.config } : { ...n };
      if (value === undefined) delete target[key];
      else target[key] = value;
      return inConfig ? { ...n, config: target } : (target as DocNode);
    }),
  };
}

/** Renames a node, and every edge, ``on_error`` and ``{{ steps.<id>. }}`` reference to it. */
export function renameNode(doc: Doc, id: string, to: string): Doc {
  if (!to || to === id || nodesOf(doc).some((n) => n.id === to)) return doc;
  const text = JSON.stringify({ ...doc, nodes: nodesOf(doc).map((n) => (n.id === id ? { ...n, id: to } : n)) });
  const renamed = JSON.parse(text.split(`steps.${id}.`).join(`steps.${to}.`)) as Doc;
  return {
    ...renamed,
    edges: edgesOf(renamed).map((e) => ({ ...e, from: e.from === id ? to : e.from, to: e.to === id ? to : e.to })),
  };
}

export function setTrigger(doc: Doc, key: string, value: unknown): Doc {
  const trigger = { ...triggerOf(doc) };
  if (value === undefined) delete trigger[key];
  else trigger[key] = value;
  return { ...doc, trigger };
}

export function round(p: XY): XY {
  return { x: Math.round(p.x), y: Math.round(p.y) };
}

/** Where each reported path points: the node (or ``trigger``, or an edge's source) and the key. */
export function locate(doc: Doc, path: string): { node: string | null; key: string | null; edge: number | null } {
  const node = /^nodes\[(\d+)\](?:\.config)?(?:\.([\w$]+))?/.exec(path);
  if (node) {
    const found = nodesOf(doc)[Number(node[1])];
    return { node: found?.id ?? null, key: node[2] ?? null, edge: null };
  }
  const trigger = /^trigger(?:\.([\w$]+))?/.exec(path);
  if (trigger) return { node: TRIGGER, key: trigger[1] ?? null, edge: null };
  const edge = /^edges\[(\d+)\]/.exec(path);
  if (edge) {
    const found = edgesOf(doc)[Number(edge[1])];
    return { node: found?.from ?? null, key: null, edge: Number(edge[1]) };
  }
  return { node: null, key: null, edge: null };
}
