import { createContext } from "react";
import type { Schemas } from "../../api/client";
import { edgesOf, nodesOf, TRIGGER, type Doc } from "./model";

/** A condition (SPEC §2.1) as the condition builder edits it: the canonical tree — ``and`` /
 * ``or`` groups, ``not``, leaves ``{field, operator, value}`` — and, kept verbatim, any part
 * written in another shape (a typed tree, groups of rules, a plain list) that the builder shows
 * as JSON. Every item parsed from the document remembers its ``source``: an item nobody edits
 * is written back exactly as it was read (keys it does not know, their order, operator
 * aliases), and an edit rebuilds only the items on the way to it. */
export type Rule = { kind: "rule"; field: string; operator: string; value?: unknown; ignoreCase?: boolean; source?: Record<string, unknown> };
export type Group = { kind: "group"; op: "and" | "or"; items: Item[]; source?: unknown; virtual?: boolean };
export type Not = { kind: "not"; item: Item; source?: unknown };
export type Raw = { kind: "raw"; json: unknown };
export type Item = Rule | Group | Not | Raw;

export type Operator = Schemas["OperatorOut"];
/** The kinds of value a field holds, as the server names them (definitions.condition_operators). */
export type Kind = "text" | "number" | "bool" | "instant" | "list" | "object";
/** A name a condition can read: its dot path, its kind when known, where it comes from. */
export type FieldChoice = { path: string; kind: Kind | null; source: string; options?: unknown[] };

const ALIASES: Record<string, string> = {
  equals: "eq", "==": "eq", not_equals: "ne", "!=": "ne", greater_than: "gt",
  greater_than_or_equal: "gte", less_than: "lt", less_than_or_equal: "lte",
  in_list: "in", not_in_list: "not_in", starts_with: "startswith", ends_with: "endswith",
  regex_match: "regex",
};
const LEAF_KEYS = new Set(["field", "operator", "value", "ignore_case"]);

/** The canonical name of an operator written with an alias (``greater_than`` → ``gt``). */
export function canonicalOperator(name: string): string {
  const folded = name.trim().toLowerCase();
  return ALIASES[folded] ?? folded;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** One part of a condition document as an item; shapes the builder cannot show are Raw. */
export function parseItem(json: unknown, known: ReadonlySet<string>): Item {
  if (isObject(json)) {
    const keys = Object.keys(json);
    if (keys.length === 1 && (keys[0] === "and" || keys[0] === "or") && Array.isArray(json[keys[0]!])) {
      const items = (json[keys[0]!] as unknown[]).map((child) => parseItem(child, known));
      return { kind: "group", op: keys[0] as "and" | "or", items, source: json };
    }
    if (keys.length === 1 && keys[0] === "not" && isObject(json.not)) {
      return { kind: "not", item: parseItem(json.not, known), source: json };
    }
    const { field, operator } = json;
    const logical = keys.some((k) => ["and", "or", "not", "type", "rules", "conditions"].includes(k));
    if (!logical && typeof field === "string" && typeof operator === "string" && known.has(canonicalOperator(operator))) {
      const ignore = json.ignore_case;
      if (ignore === undefined || typeof ignore === "boolean") {
        return { kind: "rule", field, operator, value: json.value, ignoreCase: ignore === true, source: json };
      }
    }
  }
  return { kind: "raw", json };
}

/** A whole condition as the root group the builder shows: a group as it is, anything else (a
 * single rule, a not, an unknown shape) inside an implicit "all of" that is not written out. */
export function parseCondition(json: unknown, known: ReadonlySet<string>): Group {
  if (json === undefined || json === null) return { kind: "group", op: "and", items: [], virtual: true };
  const item = parseItem(json, known);
  return item.kind === "group" ? item : { kind: "group", op: "and", items: [item], virtual: true };
}

/** The document of an item: its source when untouched, else the canonical tree. */
export function emitItem(item: Item): unknown {
  switch (item.kind) {
    case "raw":
      return item.json;
    case "group":
      return item.source ?? { [item.op]: item.items.map(emitItem) };
    case "not":
      return item.source ?? { not: emitItem(item.item) };
    case "rule": {
      if (item.source) return item.source;
      const leaf: Record<string, unknown> = { field: item.field, operator: item.operator };
      if (item.value !== undefined) leaf.value = item.value;
      if (item.ignoreCase) leaf.ignore_case = true;
      return leaf;
    }
  }
}

/** The document of the root: nothing for an empty condition, the only item of an implicit
 * group alone. */
export function emitCondition(root: Group): unknown {
  if (implicit(root)) return emitItem(root.items[0]!);
  return root.items.length === 0 && !root.source ? undefined : emitItem(root);
}

/** A rule edited: the keys it knows rewritten in place, the others kept where they were. */
export function editRule(rule: Rule, change: Partial<Pick<Rule, "field" | "operator" | "value" | "ignoreCase">>): Rule {
  const next: Rule = { ...rule, ...change, source: undefined };
  const written: Record<string, unknown> = {};
  const base = rule.source ?? {};
  const known: Record<string, unknown> = { field: next.field, operator: next.operator, value: next.value, ignore_case: next.ignoreCase ? true : base.ignore_case === undefined ? undefined : false };
  for (const [k, v] of Object.entries(base)) written[k] = LEAF_KEYS.has(k) ? known[k] : v;
  for (const k of ["field", "operator", "value", "ignore_case"]) if (!(k in written)) written[k] = known[k];
  for (const k of Object.keys(written)) if (written[k] === undefined) delete written[k];
  return { ...next, source: written };
}

/** Path of an item from the root: indexes through groups' items, 0 through a not. */
export type ItemPath = number[];

export function itemAt(root: Item, path: ItemPath): Item | undefined {
  let current: Item | undefined = root;
  for (const i of path) {
    if (current?.kind === "group") current = current.items[i];
    else if (current?.kind === "not") current = current.item;
    else return undefined;
  }
  return current;
}

/** The tree with the item at ``path`` replaced by ``change(item)`` (``null`` removes it); the
 * items on the way lose their source, so they are written out anew. */
export function updateAt(root: Group, path: ItemPath, change: (item: Item) => Item | null): Group {
  const walk = (item: Item, rest: ItemPath): Item | null => {
    if (rest.length === 0) return change(item);
    const [i, ...tail] = rest;
    if (item.kind === "group") {
      const items = item.items.flatMap((child, j) => {
        if (j !== i) return [child];
        const next = walk(child, tail);
        return next ? [next] : [];
      });
      return { ...item, items, source: undefined };
    }
    if (item.kind === "not") {
      const inner = walk(item.item, tail);
      return inner ? { ...item, item: inner, source: undefined } : null;
    }
    return item;
  };
  return walk(root, path) as Group;
}

/** An implicit root group that is not written out: its only item stands alone. */
function implicit(root: Group): boolean {
  return Boolean(root.virtual && !root.source && root.items.length === 1);
}

/** Where an item sits in the condition's JSON (``.and[1].not``), to place the server's
 * problems (reported at ``…condition.and[1].not.field``) on their rule. */
export function jsonPathOf(root: Group, path: ItemPath): string {
  let at = "";
  let current: Item = root;
  for (const i of path) {
    if (current.kind === "group") {
      if (!(current === root && implicit(root))) at += `.${current.op}[${i}]`;
      current = current.items[i]!;
    } else if (current.kind === "not") {
      at += ".not";
      current = current.item;
    }
  }
  return at;
}

/** Whether a JSON Schema part is a condition (the definition schema's ``Condition``). */
export function isConditionSchema(schema: { anyOf?: { $ref?: string }[]; $ref?: string }): boolean {
  const refs = [schema.$ref, ...(schema.anyOf ?? []).map((s) => s.$ref)];
  return refs.some((ref) => typeof ref === "string" && ref.endsWith("/Condition"));
}

/** What the builder's condition widgets can offer: the names a condition reads where it is
 * being edited, and the operators the server describes. */
export const ConditionScope = createContext<{ fields: FieldChoice[]; operators: Operator[] }>({ fields: [], operators: [] });

// --------------------------------------------------------------------------- fields

type Property = { type?: string | string[]; format?: string; enum?: unknown[]; properties?: Record<string, Property>; items?: Property };
export type EventTypeInfo = { type: string; schema?: { properties?: Record<string, Property> }; derived?: Record<string, string>; derived_kinds?: Record<string, string> };

/** A date of the event: by its format, or by its name (``start_time``, ``due_date``). */
export function isDateField(name: string, property: { format?: string }): boolean {
  return property.format === "date-time" || property.format === "date" || /(_time|_at|_date|^date)$/.test(name);
}

/** The kind of a schema property: numbers win over text (``"12.50"`` is a number too), an id
 * that may be text stays text. */
function kindOf(name: string, property: Property): Kind | null {
  const types = new Set([property.type ?? []].flat());
  types.delete("null");
  if (types.has("boolean") && types.size === 1) return "bool";
  if (types.has("number")) return "number";
  if (types.has("integer")) return types.has("string") ? "text" : "number";
  if (types.has("string")) return isDateField(name, property) ? "instant" : "text";
  if (types.has("array")) return "list";
  if (types.has("object")) return "object";
  return null;
}

function flatten(properties: Record<string, Property>, prefix: string, source: string, depth: number): FieldChoice[] {
  return Object.entries(properties).flatMap(([name, property]) => {
    const path = prefix + name;
    const own: FieldChoice = { path, kind: kindOf(name, property), source, ...(property.enum ? { options: property.enum } : {}) };
    const below = property.properties && depth < 3 ? flatten(property.properties, `${path}.`, source, depth + 1) : [];
    return [own, ...below];
  });
}

/** What a condition of ``node`` can read (SPEC §2.3): the trigger event's fields (its
 * schema's, nested objects included) and derived fields — for a ``wait_for_event``, the awaited
 * event's first, since its condition reads that event's data —, the outputs of the steps that
 * run before it, the variables the workflow sets, and the event's own attributes. */
export function conditionFields(doc: Doc, catalog: EventTypeInfo[], node: string | null): FieldChoice[] {
  const trigger = doc.trigger;
  const triggerType = typeof trigger === "string" ? trigger : (trigger as Record<string, unknown> | undefined)?.event;
  const own = nodesOf(doc).find((n) => n.id === node);
  const awaited = own?.type === "wait_for_event" ? eventFields(catalog.find((t) => t.type === (own.event ?? own.config?.event)), "awaited event") : [];
  const shadowed = new Set(awaited.map((f) => f.path)); // the awaited event's data wins
  const fields = [...awaited, ...eventFields(catalog.find((t) => t.type === triggerType), "event").filter((f) => !shadowed.has(f.path))];
  if (node !== null && node !== TRIGGER) {
    for (const earlier of ancestors(doc, node)) fields.push({ path: `steps.${earlier}.output`, kind: null, source: "step output" });
    for (const name of variables(doc)) fields.push({ path: `vars.${name}`, kind: null, source: "variable" });
  }
  fields.push({ path: "event.type", kind: "text", source: "event" }, { path: "event.occurred_at", kind: "instant", source: "event" });
  return fields;
}

function eventFields(event: EventTypeInfo | undefined, source: string): FieldChoice[] {
  const fields = flatten(event?.schema?.properties ?? {}, "", source, 0);
  for (const name of Object.keys(event?.derived ?? {})) {
    fields.push({ path: name, kind: (event?.derived_kinds?.[name] as Kind | undefined) ?? null, source: source === "event" ? "derived" : `derived, ${source}` });
  }
  return fields;
}

/** The nodes a run passes before reaching ``node`` (trigger excluded), nearest first. */
function ancestors(doc: Doc, node: string): string[] {
  const before = new Map<string, string[]>();
  for (const e of edgesOf(doc)) before.set(e.to, [...(before.get(e.to) ?? []), e.from]);
  const seen: string[] = [];
  const queue = [...(before.get(node) ?? [])];
  while (queue.length) {
    const id = queue.shift()!;
    if (id === TRIGGER || id === node || seen.includes(id)) continue;
    seen.push(id);
    queue.push(...(before.get(id) ?? []));
  }
  return seen;
}

/** The variable names steps set: each ``output``, and a ``set`` step's values (or its name). */
function variables(doc: Doc): string[] {
  const names = new Set<string>();
  for (const n of nodesOf(doc)) {
    const config = { ...(n.config ?? {}), ...n };
    if (typeof config.output === "string" && config.output) names.add(config.output);
    if (n.type === "set") {
      const values = config.values ?? config.variables;
      if (values && typeof values === "object") Object.keys(values).forEach((k) => names.add(k));
      else if (typeof config.name === "string") names.add(config.name);
    }
  }
  return [...names];
}
