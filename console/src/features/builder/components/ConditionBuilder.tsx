import { useContext, useId, useState } from "react";
import {
  canonicalOperator,
  ConditionScope,
  editRule,
  emitCondition,
  emitItem,
  jsonPathOf,
  parseCondition,
  updateAt,
  type FieldChoice,
  type Group,
  type Item,
  type ItemPath,
  type Kind,
  type Operator,
  type Rule,
} from "../conditions";
import { JsonInput, type Found } from "./fields";
import "./ConditionBuilder.css";

/** A condition edited as nested all/any groups of rules — a field picked from what the
 * condition can read, an operator offered by the field's kind, a value input of that kind —
 * or, with the JSON toggle, as text. One widget for every key the schema says is a condition
 * (a condition node's, a step's ``when``, the trigger's ``filter``, a wait's, a goal's, a
 * switch case's). The server's problems inside the condition show on the rule they concern. */
export function ConditionBuilder({ id, name, value, onChange, problems, ...aria }: {
  id: string;
  name: string;
  value: unknown;
  onChange: (value: unknown) => void;
  problems: Found[];
  "aria-describedby": string;
  "aria-invalid"?: boolean;
}) {
  const { fields, operators } = useContext(ConditionScope);
  const known = new Set(operators.map((o) => o.name));
  const [mode, setMode] = useState<"builder" | "json">("builder");
  // The tree is kept between edits (an empty group stays where it was added); it is read
  // again from the document only when the document changed from elsewhere (undo, JSON view).
  const shown = JSON.stringify(value ?? null);
  const [root, setRoot] = useState<Group>(() => parseCondition(value, known));
  const [last, setLast] = useState(shown);
  if (shown !== last) {
    setLast(shown);
    setRoot(parseCondition(value, known));
  }
  const apply = (next: Group) => {
    const json = emitCondition(next);
    setRoot(next);
    setLast(JSON.stringify(json ?? null));
    onChange(json);
  };
  const edit = (path: ItemPath, change: (item: Item) => Item | null) => apply(updateAt(root, path, change));
  const problemsAt = (path: ItemPath) => {
    const at = jsonPathOf(root, path);
    return problems.filter((p) => p.path !== undefined && suffixOf(p.path, name)?.replace(/\.(field|operator|value|ignore_case)$/, "") === at);
  };
  return (
    // In JSON mode the label names the text box itself, not this group.
    <div className="condition-builder" role="group" aria-labelledby={mode === "builder" ? `${id}-label` : undefined} aria-describedby={aria["aria-describedby"]}>
      <div role="group" aria-label={`${name} editor`} className="segmented condition-mode">
        {/* Named apart from the page's own Canvas/JSON switch. */}
        <button type="button" aria-pressed={mode === "builder"} aria-label={`Edit ${name} in the builder`} onClick={() => setMode("builder")}>Builder</button>
        <button type="button" aria-pressed={mode === "json"} aria-label={`Edit ${name} as JSON`} onClick={() => setMode("json")}>JSON</button>
      </div>
      {mode === "json" ? (
        <JsonInput id={id} name={name} value={value} onChange={onChange} aria-describedby={aria["aria-describedby"]} aria-invalid={aria["aria-invalid"]} />
      ) : (
        <GroupView group={root} path={[]} label="" fields={fields} operators={operators} edit={edit} problemsAt={problemsAt}
          onOp={(op) => apply({ ...root, op, virtual: false, source: undefined })} />
      )}
    </div>
  );
}

/** The part of a problem's path inside the condition key ``name`` (``.and[0].field`` of
 * ``nodes[2].condition.and[0].field`` or of ``nodes[3].cases[0].when.and[0].field``). */
function suffixOf(path: string, name: string): string | null {
  const match = new RegExp(`\\.${name}((?:\\.\\w+|\\[\\d+\\])*)$`).exec(path);
  return match ? match[1]! : null;
}

type Shared = {
  fields: FieldChoice[];
  operators: Operator[];
  edit: (path: ItemPath, change: (item: Item) => Item | null) => void;
  problemsAt: (path: ItemPath) => Found[];
};

function newRule(): Rule {
  return { kind: "rule", field: "", operator: "eq" };
}

function GroupView({ group, path, label, onOp, negated, onNegate, onRemove, ...shared }: Shared & {
  group: Group;
  path: ItemPath;
  label: string;
  onOp: (op: "and" | "or") => void;
  negated?: boolean;
  onNegate?: () => void;
  onRemove?: () => void;
}) {
  const { edit } = shared;
  const add = (item: Item) => edit(path, (g) => (g.kind === "group" ? { ...g, items: [...g.items, item], source: undefined } : g));
  const title = label ? `Group ${label}` : "Conditions";
  return (
    <div role="group" aria-label={title} className={`condition-group${negated ? " negated" : ""}${label ? "" : " root"}`}>
      <div className="condition-head">
        {onNegate && <NotButton negated={negated} onNegate={onNegate} what={title} />}
        <label className="inline">
          Match{" "}
          <select aria-label={`Match (${title})`} value={group.op} onChange={(e) => onOp(e.target.value as "and" | "or")}>
            <option value="and">all</option>
            <option value="or">any</option>
          </select>{" "}
          of these
        </label>
        {onRemove && <RemoveButton onRemove={onRemove} what={title} />}
      </div>
      {group.items.length === 0 && <p className="muted small">No rules yet: it always holds.</p>}
      <ol className="condition-items">
        {group.items.map((item, i) => (
          <li key={i}>
            {i > 0 && <span className="condition-joiner">{group.op === "and" ? "and" : "or"}</span>}
            <ItemView item={item} path={[...path, i]} label={label ? `${label}.${i + 1}` : `${i + 1}`} {...shared} />
          </li>
        ))}
      </ol>
      <div className="condition-add">
        <button type="button" onClick={() => add(newRule())} aria-label={`Add a rule to ${title}`}>+ Rule</button>
        <button type="button" onClick={() => add({ kind: "group", op: "or", items: [newRule()] })} aria-label={`Add a group to ${title}`}>+ Group</button>
      </div>
    </div>
  );
}

/** NOT before the item, so a negated rule reads "NOT trial equals true". */
function NotButton({ negated, onNegate, what }: { negated?: boolean; onNegate: () => void; what: string }) {
  return (
    <button type="button" className="condition-not" aria-pressed={Boolean(negated)} onClick={onNegate} aria-label={`Not (${what})`}
      title={negated ? "negated: holds when this does not (press to undo)" : "negate: hold when this does not"}>
      NOT
    </button>
  );
}

function RemoveButton({ onRemove, what }: { onRemove: () => void; what: string }) {
  return (
    <button type="button" className="condition-remove" onClick={onRemove} aria-label={`Remove ${what}`} title="remove">
      ✕
    </button>
  );
}

/** One item of a group; a ``not`` shows its inner item with NOT pressed. */
function ItemView({ item, path, label, ...shared }: Shared & { item: Item; path: ItemPath; label: string }) {
  const { edit } = shared;
  const rawId = useId();
  const negated = item.kind === "not" && item.item.kind !== "not";
  const inner = negated ? item.item : item;
  const innerPath = negated ? [...path, 0] : path;
  const onNegate = () => edit(path, (it) => (it.kind === "not" ? it.item : { kind: "not", item: it }));
  const onRemove = () => edit(path, () => null);
  if (inner.kind === "group") {
    return (
      <GroupView group={inner} path={innerPath} label={label} negated={negated} onNegate={onNegate} onRemove={onRemove} {...shared}
        onOp={(op) => edit(innerPath, (g) => (g.kind === "group" ? { ...g, op, source: undefined } : g))} />
    );
  }
  if (inner.kind === "rule") {
    return <RuleView rule={inner} path={innerPath} label={label} negated={negated} onNegate={onNegate} onRemove={onRemove} {...shared} />;
  }
  // A shape the builder cannot show (or a double not): kept as it is, editable as JSON.
  return (
    <div role="group" aria-label={`Part ${label}`} className={`condition-raw${negated ? " negated" : ""}`}>
      <div className="condition-head">
        <NotButton negated={negated} onNegate={onNegate} what={`Part ${label}`} />
        <span className="muted small">shown as JSON: the builder cannot show this shape</span>
        <RemoveButton onRemove={onRemove} what={`Part ${label}`} />
      </div>
      <JsonInput id={rawId} name={`Part ${label}`} aria-describedby="" aria-label={`Part ${label} (JSON)`} value={emitItem(inner)}
        onChange={(v) => edit(innerPath, () => ({ kind: "raw", json: v }))} />
    </div>
  );
}

function RuleView({ rule, path, label, negated, onNegate, onRemove, fields, operators, edit, problemsAt }: Shared & {
  rule: Rule;
  path: ItemPath;
  label: string;
  negated: boolean;
  onNegate: () => void;
  onRemove: () => void;
}) {
  const listId = useId();
  const title = `Rule ${label}`;
  const choice = fields.find((f) => f.path === rule.field);
  const kind = choice?.kind ?? null;
  const operator = canonicalOperator(rule.operator);
  const guide = operators.find((o) => o.name === operator);
  const offered = operators.filter((o) => kind === null || o.kinds.includes(kind));
  if (guide && !offered.includes(guide)) offered.push(guide);
  const change = (c: Parameters<typeof editRule>[1]) => edit(path, (it) => (it.kind === "rule" ? editRule(it, c) : it));
  const found = problemsAt(path);
  return (
    <div role="group" aria-label={title} className={`condition-rule${negated ? " negated" : ""}${found.some((p) => p.severity === "error") ? " invalid" : ""}`}>
      <div className="condition-head">
        <NotButton negated={negated} onNegate={onNegate} what={title} />
        <input aria-label="Field" className="condition-field" list={listId} value={rule.field} placeholder="field, e.g. plan"
          onChange={(e) => change({ field: e.target.value })} aria-invalid={found.length > 0 || undefined} />
        <datalist id={listId}>
          {fields.map((f) => (
            <option key={f.path} value={f.path} label={`${f.kind ?? "any"} · ${f.source}`} />
          ))}
        </datalist>
        <RemoveButton onRemove={onRemove} what={title} />
      </div>
      <div className="condition-compare">
        <select aria-label="Operator" value={operator} onChange={(e) => change({ operator: e.target.value, value: reshape(rule.value, guide, operators.find((o) => o.name === e.target.value)) })}>
          {!guide && <option value={operator}>{rule.operator}</option>}
          {offered.map((o) => (
            <option key={o.name} value={o.name}>
              {o.label}
              {kind !== null && !o.kinds.includes(kind) ? ` (not for ${kind})` : ""}
            </option>
          ))}
        </select>
        {guide && <ValueInput shape={guide.value} kind={kind} options={choice?.options} value={rule.value} onChange={(v) => change({ value: v })} />}
        {guide?.ignore_case && (kind === null || kind === "text" || kind === "list") && !choice?.options && (
          <label className="inline condition-case">
            <input type="checkbox" checked={rule.ignoreCase === true} onChange={(e) => change({ ignoreCase: e.target.checked })} /> ignore case
          </label>
        )}
      </div>
      {kind && <span className="muted small">{rule.field} is {describe(kind)} ({choice!.source})</span>}
      {found.map((p, i) => (
        <span key={i} className={p.severity === "error" ? "field-problem" : "field-warning"}>
          {p.severity === "warning" && "warning: "}
          {p.message}
        </span>
      ))}
    </div>
  );
}

function describe(kind: Kind): string {
  return { text: "text", number: "a number", bool: "true or false", instant: "a date and time", list: "a list", object: "an object" }[kind];
}

/** The value kept across an operator change when its shape stays, else the new shape's blank. */
function reshape(value: unknown, from: Operator | undefined, to: Operator | undefined): unknown {
  if (!to || to.value === "none") return undefined;
  if (from?.value === to.value || (["one", "pattern"].includes(from?.value ?? "") && ["one", "pattern"].includes(to.value))) return value;
  if (to.value === "list") return value === undefined || value === "" ? [] : [value];
  if (to.value === "pair") return [value ?? null, null];
  return undefined;
}

/** A value typed by the field's kind and the operator's shape. */
function ValueInput({ shape, kind, options, value, onChange }: {
  shape: string;
  kind: Kind | null;
  options?: unknown[];
  value: unknown;
  onChange: (v: unknown) => void;
}) {
  switch (shape) {
    case "none":
      return null;
    case "days":
      return (
        <label className="inline condition-days">
          <input aria-label="Days" type="number" min={0} value={typeof value === "number" ? value : ""}
            onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))} /> days
        </label>
      );
    case "pattern":
      return <input aria-label="Pattern" className="code" value={typeof value === "string" ? value : ""} onChange={(e) => onChange(e.target.value)} />;
    case "pair": {
      const [low, high] = Array.isArray(value) ? value : [undefined, undefined];
      return (
        <span className="condition-pair">
          <Scalar label="From" kind={kind} value={low} onChange={(v) => onChange([v ?? null, high ?? null])} />
          <span>and</span>
          <Scalar label="To" kind={kind} value={high} onChange={(v) => onChange([low ?? null, v ?? null])} />
        </span>
      );
    }
    case "list":
      return <ListInput kind={kind} value={Array.isArray(value) ? value : value === undefined ? [] : [value]} onChange={onChange} />;
    default:
      return <Scalar label="Value" kind={kind} options={options} value={value} onChange={onChange} />;
  }
}

/** One value: a number input for numbers, true/false for booleans, a choice of the schema's
 * values for an enum, a date and time (UTC) for instants, text otherwise. */
function Scalar({ label, kind, options, value, onChange }: { label: string; kind: Kind | null; options?: unknown[]; value: unknown; onChange: (v: unknown) => void }) {
  if (options?.length || kind === "bool") {
    const choices = options?.length ? options : [true, false];
    const at = choices.findIndex((c) => c === value);
    return (
      <select aria-label={label} value={at < 0 ? "" : String(at)} onChange={(e) => onChange(e.target.value === "" ? undefined : choices[Number(e.target.value)])}>
        <option value="">(choose)</option>
        {choices.map((c, i) => (
          <option key={i} value={i}>
            {String(c)}
          </option>
        ))}
      </select>
    );
  }
  if (kind === "number") {
    return (
      <input aria-label={label} type="number" value={typeof value === "number" || typeof value === "string" ? String(value) : ""}
        onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))} />
    );
  }
  if (kind === "instant") {
    const local = typeof value === "string" ? /^(\d{4}-\d\d-\d\dT\d\d:\d\d)/.exec(value)?.[1] ?? "" : "";
    return (
      <span className="condition-instant">
        <input aria-label={label} type="datetime-local" value={local} onChange={(e) => onChange(e.target.value ? `${e.target.value}:00Z` : undefined)} />
        <span className="muted small">UTC</span>
      </span>
    );
  }
  return <input aria-label={label} value={value === undefined || value === null ? "" : String(value)} onChange={(e) => onChange(e.target.value)} />;
}

/** A list for ``in``/``not_in``: the values as removable chips, a new one added with Enter. */
function ListInput({ kind, value, onChange }: { kind: Kind | null; value: unknown[]; onChange: (v: unknown[]) => void }) {
  const [draft, setDraft] = useState("");
  const add = () => {
    const text = draft.trim();
    if (!text) return;
    const item = kind === "number" && !Number.isNaN(Number(text)) ? Number(text) : text;
    onChange([...value, item]);
    setDraft("");
  };
  return (
    <div className="condition-list">
      <ul aria-label="Values">
        {value.map((v, i) => (
          <li key={i}>
            {String(v)}
            <button type="button" aria-label={`Remove ${String(v)}`} onClick={() => onChange(value.filter((_, j) => j !== i))}>✕</button>
          </li>
        ))}
      </ul>
      <input aria-label="Add a value" type={kind === "number" ? "number" : "text"} value={draft}
        placeholder="add (Enter)" onChange={(e) => setDraft(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") {
            e.preventDefault();
            add();
          }
        }} />
      <button type="button" onClick={add} disabled={!draft.trim()}>Add</button>
    </div>
  );
}
