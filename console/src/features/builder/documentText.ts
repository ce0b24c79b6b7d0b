import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, stringify, visit, type Document, type ScalarTag, type Tags, type YAMLMap } from "yaml";

/** The draft as text, JSON or YAML — the same document either way: keys keep their order, and
 * nothing the canvas keeps (positions, ``ui``) is dropped, so text ↔ canvas loses nothing. */
export type Format = "json" | "yaml";

// YAML as the server reads it (YAML 1.1, like PyYAML's safe loader): ``yes``/``on`` are booleans
// and ``1:30`` a number, so what the console writes the API imports unchanged. Two differences
// from the YAML library's 1.1 schema are undone: ``y``/``n`` stay text (PyYAML reads them so, and
// every position has a ``y``), and an unquoted date stays the text written, as JSON would hold it.
const BOOL = "tag:yaml.org,2002:bool";
const TIMESTAMP = "tag:yaml.org,2002:timestamp";
function serverTags(tags: Tags): Tags {
  return tags.map((tag) => {
    if (typeof tag === "string" || !("test" in tag) || !tag.test) return tag;
    if (tag.tag === TIMESTAMP) return { ...tag, resolve: (text: string) => text } as ScalarTag;
    if (tag.tag === BOOL) {
      const truthy = tag.identify?.(true);
      return { ...tag, test: truthy ? /^(?:[Yy]es|YES|[Tt]rue|TRUE|[Oo]n|ON)$/ : /^(?:[Nn]o|NO|[Ff]alse|FALSE|[Oo]ff|OFF)$/ };
    }
    return tag;
  });
}
const YAML_OPTIONS = { version: "1.1", customTags: serverTags } as const;

export function toText(doc: unknown, format: Format): string {
  if (format === "json") return JSON.stringify(doc, null, 2);
  // No folding of long lines, and no anchors: a document is a tree, each value where it is.
  return stringify(doc, { ...YAML_OPTIONS, lineWidth: 0, aliasDuplicateObjects: false });
}

export type Parsed = { value: unknown; error: null } | { value: null; error: { message: string; line: number | null } };

/** The document the text describes, or why it is not one yet (with its line when known). */
export function parseText(text: string, format: Format): Parsed {
  if (format === "json") {
    try {
      return { value: JSON.parse(text) as unknown, error: null };
    } catch (exc) {
      const message = exc instanceof Error ? exc.message : "not JSON";
      const at = /position (\d+)/.exec(message);
      return { value: null, error: { message, line: at ? lineAt(text, Number(at[1])) : null } };
    }
  }
  const lines = new LineCounter();
  const parsed = parseDocument(text, { ...YAML_OPTIONS, lineCounter: lines, prettyErrors: false });
  const [first] = parsed.errors;
  if (first) return { value: null, error: { message: first.message, line: lines.linePos(first.pos[0]).line } };
  // What JSON cannot hold is refused where it is written, as the server refuses it.
  let refused: { message: string; line: number | null } | null = null;
  visit(parsed, {
    Pair(_, pair) {
      if (refused || !isScalar(pair.key) || typeof pair.key.value === "string") return;
      const line = pair.key.range ? lines.linePos(pair.key.range[0]).line : null;
      refused = { message: `a key must be text, not ${String(pair.key.value)}: quote it (YAML reads yes, no, on, off as booleans)`, line };
      return visit.BREAK;
    },
    Node(_, node) {
      if (refused || !node.tag || /^tag:yaml\.org,2002:(str|int|float|bool|null|map|seq|timestamp)$/.test(node.tag)) return;
      refused = { message: `${node.tag} has no JSON equivalent`, line: node.range ? lines.linePos(node.range[0]).line : null };
      return visit.BREAK;
    },
  });
  if (refused) return { value: null, error: refused };
  return { value: parsed.toJS({ maxAliasCount: 1000 }) as unknown, error: null };
}

export type Step = { label: string; type: string | null; keys: Set<string>; node: YAMLMap.Parsed; config: YAMLMap.Parsed | null };

/** The text's structure with line numbers: where a reported path is, which node the caret is in. */
export class TextMap {
  private readonly doc: Document.Parsed;
  private readonly lines = new LineCounter();

  constructor(private readonly text: string) {
    // JSON is YAML too (flow style), so one reader places paths in either format.
    this.doc = parseDocument(text, { ...YAML_OPTIONS, lineCounter: this.lines, prettyErrors: false });
  }

  /** Where a reported path (``nodes[2].config.to``, ``trigger.event``) is written: the deepest
   * part of it the text has, as a line and a character range. */
  locate(path: string): { line: number; start: number; end: number } | null {
    let node: unknown = this.doc.contents;
    let found: { range?: [number, number, number] | null } | null = isMap(node) || isSeq(node) ? (node as { range?: [number, number, number] }) : null;
    for (const part of path.split(/\.|\[(\d+)\]/).filter((p) => p !== undefined && p !== "")) {
      let next: unknown = undefined;
      if (isSeq(node) && /^\d+$/.test(part)) next = node.items[Number(part)];
      else if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === part);
        // A key is shown at its own name, its value's place is where its problem is.
        next = pair ? (pair.value ?? pair.key) : undefined;
      }
      if (!next || typeof next !== "object" || !("range" in next)) break;
      node = next;
      found = next as { range?: [number, number, number] };
    }
    const range = found?.range;
    if (!range) return null;
    return { line: this.lines.linePos(range[0]).line, start: range[0], end: range[1] };
  }

  /** The step (or the trigger) whose text holds ``offset``: its type, the keys it has, its map
   * and its ``config`` map when it has one (where its type's own keys go). */
  stepAt(offset: number): Step | null {
    const root = this.doc.contents;
    if (!isMap(root)) return null;
    for (const pair of root.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : "";
      if (key === "trigger" && isMap(pair.value) && within(pair.value.range, offset)) {
        return { label: "the trigger", type: null, keys: new Set(keysOf(pair.value)), node: pair.value, config: null };
      }
      if (key !== "nodes" || !isSeq(pair.value)) continue;
      for (const item of pair.value.items) {
        if (!isMap(item) || !within(item.range, offset)) continue;
        const config = item.get("config", true);
        const type = item.get("type");
        const id = item.get("id");
        return {
          label: typeof id === "string" ? id : "this step",
          type: typeof type === "string" ? type : null,
          keys: new Set([...keysOf(item), ...(isMap(config) ? keysOf(config) : [])]),
          node: item,
          config: isMap(config) ? (config as YAMLMap.Parsed) : null,
        };
      }
    }
    return null;
  }

  /** The text with ``key`` added to ``target`` (a map of ``stepAt``), and the part to select: the
   * value to type over. */
  insertKey(target: YAMLMap.Parsed, key: string, format: Format): { text: string; select: [number, number] } {
    const text = this.text;
    if (format === "json" || target.flow) {
      const open = target.range[0] + 1; // just after "{"
      const first = target.items[0];
      const indent = first && isScalar(first.key) && first.key.range ? " ".repeat(this.lines.linePos(first.key.range[0]).col - 1) : "";
      const head = `${first ? "\n" + indent : ""}${JSON.stringify(key)}: `;
      const at = open + head.length;
      return { text: `${text.slice(0, open)}${head}null${first ? "," : ""}${text.slice(open)}`, select: [at, at + 4] };
    }
    const first = target.items[0];
    const column = first && isScalar(first.key) && first.key.range ? this.lines.linePos(first.key.range[0]).col - 1 : 0;
    let end = target.range[1];
    const lead = end > 0 && text[end - 1] !== "\n" ? "\n" : "";
    const entry = `${lead}${" ".repeat(column)}${key}: `;
    const rest = text.slice(end);
    const tail = rest.startsWith("\n") || rest === "" ? "" : "\n";
    end = end + entry.length;
    return { text: text.slice(0, target.range[1]) + entry + tail + rest, select: [end, end] };
  }
}

function within(range: [number, number, number] | null | undefined, offset: number): boolean {
  return !!range && range[0] <= offset && offset <= range[1];
}

function keysOf(map: YAMLMap): string[] {
  return map.items.flatMap((p) => (isPair(p) && isScalar(p.key) ? [String(p.key.value)] : []));
}

function lineAt(text: string, offset: number): number {
  return text.slice(0, offset).split("\n").length;
}
