import { useState } from "react";
import type { NodeTypeInfo, NodeTypes } from "../api/queries";
import {
  connect,
  edgesOf,
  fieldOf,
  nodesOf,
  relabelEdge,
  removeEdge,
  removeNode,
  renameNode,
  setField,
  setTrigger,
  TRIGGER,
  triggerOf,
  type Doc,
} from "../model";
import { ScheduleEditor } from "./ScheduleEditor";
import { labelsFrom } from "./BuilderCanvas";
import { DurationInput, Field, type JsonSchema } from "./fields";

export type Problems = { path: string; message: string; key: string | null; severity: "error" | "warning" }[];

type Edit = (next: (doc: Doc) => Doc, label: string) => void;

/** The selected node's configuration: a form generated from its type's JSON Schema (the API's
 * ``/v1/node-types``), its edges out, and the problems validation found on it. */
export function NodeEditor({
  doc,
  id,
  catalog,
  types,
  problems,
  names,
  dateFields,
  eventTypes,
  onEdit,
  onSelect,
}: {
  doc: Doc;
  id: string | null;
  catalog: NodeTypes;
  types: Map<string, NodeTypeInfo>;
  problems: Problems;
  names: string[];
  dateFields: string[];
  eventTypes: string[];
  onEdit: Edit;
  onSelect: (id: string | null) => void;
}) {
  if (id === null) {
    return (
      <aside className="card builder-panel" aria-label="Node settings">
        <h2>Settings</h2>
        <p className="muted">Select a node on the canvas (or add one from the palette) to configure it.</p>
      </aside>
    );
  }
  const node = nodesOf(doc).find((n) => n.id === id);
  if (id !== TRIGGER && !node) return null;
  const on = (key: string | null) => problems.filter((p) => p.key === key);
  const info = node ? types.get(node.type) : undefined;
  return (
    <aside className="card builder-panel" aria-label="Node settings">
      {id === TRIGGER ? (
        <TriggerForm doc={doc} schema={catalog.trigger as JsonSchema} names={names} dateFields={dateFields} eventTypes={eventTypes} problems={problems} onEdit={onEdit} />
      ) : (
        <>
          <h2>
            {node!.id} <span className="muted small">{node!.type}</span>
          </h2>
          <NodeIdInput id={id} onRename={(to) => { onEdit((d) => renameNode(d, id, to), "rename"); onSelect(to); }} />
          <Field name="name" schema={{ type: "string", description: "a label for people" }} value={node!.name} names={[]} problems={[]}
            onChange={(v) => onEdit((d) => ({ ...d, nodes: nodesOf(d).map((n) => (n.id === id ? withKey(n, "name", v) : n)) }), "name")} />
          {on(null).map((p, i) => (
            <p key={i} className={p.severity === "error" ? "field-problem" : "field-warning"}>{p.message}</p>
          ))}
          {info ? (
            <SchemaFields schema={info.schema as JsonSchema} get={(k) => fieldOf(node!, k)} set={(k, v) => onEdit((d) => setField(d, id, k, v), k)}
              names={names} problems={problems} />
          ) : (
            <p className="field-problem">Unknown node type {node!.type}</p>
          )}
          <details>
            <summary>Every step: when, retry, timeout, on_error, output</summary>
            <SchemaFields schema={catalog.common as JsonSchema} get={(k) => fieldOf(node!, k)} set={(k, v) => onEdit((d) => setField(d, id, k, v), k)}
              names={names} problems={problems} />
          </details>
        </>
      )}
      <EdgesOut doc={doc} id={id} types={types} onEdit={onEdit} />
      {id !== TRIGGER && (
        <button type="button" className="danger" onClick={() => { onEdit((d) => removeNode(d, id), "delete"); onSelect(null); }}>
          Delete {id}
        </button>
      )}
    </aside>
  );
}

function withKey<T extends Record<string, unknown>>(object: T, key: string, value: unknown): T {
  const next: Record<string, unknown> = { ...object };
  if (value === undefined || value === "") delete next[key];
  else next[key] = value;
  return next as T;
}

function NodeIdInput({ id, onRename }: { id: string; onRename: (to: string) => void }) {
  const [text, setText] = useState(id);
  const [last, setLast] = useState(id);
  if (last !== id) {
    setLast(id);
    setText(id);
  }
  return (
    <div className="field">
      <label htmlFor="node-id">id</label>
      <input id="node-id" value={text} pattern="[A-Za-z_][\w-]*" onChange={(e) => setText(e.target.value)}
        onBlur={() => text !== id && /^[A-Za-z_][\w-]*$/.test(text) && onRename(text)}
        onKeyDown={(e) => e.key === "Enter" && text !== id && /^[A-Za-z_][\w-]*$/.test(text) && onRename(text)} />
      <span className="muted small">unique; later steps read its result as steps.{id}.output</span>
    </div>
  );
}

function SchemaFields({ schema, get, set, names, problems, skip = [] }: {
  schema: JsonSchema;
  get: (key: string) => unknown;
  set: (key: string, value: unknown) => void;
  names: string[];
  problems: Problems;
  skip?: string[];
}) {
  const properties = Object.entries(schema.properties ?? {}).filter(([k]) => !skip.includes(k));
  return (
    <div className="form">
      {properties.map(([key, part]) => (
        <Field key={key} name={key} schema={part} defs={schema.$defs} value={get(key)} onChange={(v) => set(key, v)} names={names}
          problems={problems.filter((p) => p.key === key)} />
      ))}
    </div>
  );
}

/** The trigger: its type and event, a purpose-built "starts" (at the event, or before/after a
 * date of it, by how much), and the rest of its schema. */
function TriggerForm({ doc, schema, names, dateFields, eventTypes, problems, onEdit }: {
  doc: Doc;
  schema: JsonSchema;
  names: string[];
  dateFields: string[];
  eventTypes: string[];
  problems: Problems;
  onEdit: Edit;
}) {
  const trigger = triggerOf(doc);
  const start = (trigger.start ?? {}) as Record<string, unknown>;
  const when = "before" in start ? "before" : "after" in start ? "after" : "now";
  const setStart = (next: Record<string, unknown> | undefined) => onEdit((d) => setTrigger(d, "start", next), "start");
  return (
    <>
      <h2>Trigger</h2>
      <Field name="type" schema={(schema.properties?.type ?? {}) as JsonSchema} value={trigger.type} names={[]}
        problems={problems.filter((p) => p.key === "type")} onChange={(v) => onEdit((d) => setTrigger(d, "type", v), "type")} />
      {trigger.type === "schedule" ? (
        <ScheduleEditor cron={typeof trigger.cron === "string" ? trigger.cron : ""} timezone={typeof trigger.timezone === "string" ? trigger.timezone : ""}
          onCron={(v) => onEdit((d) => setTrigger(d, "cron", v), "cron")} onTimezone={(v) => onEdit((d) => setTrigger(d, "timezone", v), "timezone")} />
      ) : (<>
      <div className="field">
        <label htmlFor="trigger-event">event</label>
        <input id="trigger-event" list="event-types" value={typeof trigger.event === "string" ? trigger.event : ""}
          onChange={(e) => onEdit((d) => setTrigger(d, "event", e.target.value || undefined), "event")} />
        <datalist id="event-types">
          {eventTypes.map((t) => <option key={t} value={t} />)}
        </datalist>
        {problems.filter((p) => p.key === "event").map((p, i) => <span key={i} className="field-problem">{p.message}</span>)}
      </div>
      <fieldset className="starts">
        <legend>Starts</legend>
        <label htmlFor="trigger-starts">when</label>
        <select id="trigger-starts" value={when} onChange={(e) => {
          const v = e.target.value;
          if (v === "now") setStart(undefined);
          else setStart({ [v]: start.before ?? start.after ?? "24h", field: start.field ?? dateFields[0] ?? "start_time" });
        }}>
          <option value="now">when the event arrives</option>
          <option value="before">before a date of the event</option>
          <option value="after">after a date of the event</option>
        </select>
        {when !== "now" && (
          <>
            <label htmlFor="trigger-start-amount">by</label>
            <DurationInput id="trigger-start-amount" name="start" aria-describedby="trigger-start-help" value={start[when]}
              onChange={(v) => setStart({ ...start, [when]: v })} />
            <label htmlFor="trigger-start-field">{when} the field</label>
            <input id="trigger-start-field" list="date-fields" value={String(start.field ?? "")}
              onChange={(e) => setStart({ ...start, field: e.target.value })} />
            <datalist id="date-fields">
              {dateFields.map((f) => <option key={f} value={f} />)}
            </datalist>
            <span id="trigger-start-help" className="muted small">the run begins {String(start[when] ?? "")} {when} the event's {String(start.field ?? "")}</span>
          </>
        )}
        {problems.filter((p) => p.key === "start").map((p, i) => <span key={i} className="field-problem">{p.message}</span>)}
      </fieldset>
      </>)}
      <SchemaFields schema={schema} skip={["type", "event", "start", "config", ...(trigger.type === "schedule" ? ["cron", "timezone"] : [])]} get={(k) => trigger[k]}
        set={(k, v) => onEdit((d) => setTrigger(d, k, v), k)} names={names} problems={problems} />
    </>
  );
}

/** The edges leaving the node: relabel or remove one; join it to another node by keyboard. */
function EdgesOut({ doc, id, types, onEdit }: { doc: Doc; id: string; types: Map<string, NodeTypeInfo>; onEdit: Edit }) {
  const labels = labelsFrom(doc, id, types);
  const targets = nodesOf(doc).map((n) => n.id).filter((n) => n !== id);
  const [to, setTo] = useState("");
  const [label, setLabel] = useState<string>("");
  const leaving = edgesOf(doc).map((e, i) => [e, i] as const).filter(([e]) => e.from === id);
  const chosen = labels.includes(label || null) ? label : (labels[0] ?? "");
  return (
    <section aria-label="Edges out">
      <h3>Goes on to</h3>
      {leaving.length === 0 && <p className="muted small">Nothing yet: the run ends here.</p>}
      <ul className="edges-out">
        {leaving.map(([e, i]) => (
          <li key={i}>
            <span>→ {e.to}</span>
            <select aria-label={`label of the edge to ${e.to}`} value={e.when ?? ""} onChange={(ev) => onEdit((d) => relabelEdge(d, i, ev.target.value || null), "relabel")}>
              {[...new Set([...labels, e.when ?? null])].map((l) => (
                <option key={l ?? ""} value={l ?? ""}>{l ?? "next"}</option>
              ))}
            </select>
            <button type="button" aria-label={`Remove the edge to ${e.to}`} onClick={() => onEdit((d) => removeEdge(d, i), "delete edge")}>✕</button>
          </li>
        ))}
      </ul>
      {targets.length > 0 && (
        <div className="connect">
          <select aria-label="Connect to" value={to} onChange={(e) => setTo(e.target.value)}>
            <option value="">connect to…</option>
            {targets.map((t) => <option key={t}>{t}</option>)}
          </select>
          <select aria-label="Edge label" value={chosen ?? ""} onChange={(e) => setLabel(e.target.value)}>
            {labels.map((l) => <option key={l ?? ""} value={l ?? ""}>{l ?? "next"}</option>)}
          </select>
          <button type="button" disabled={!to} onClick={() => { onEdit((d) => connect(d, id, to, chosen || null), "connect"); setTo(""); }}>
            Connect
          </button>
        </div>
      )}
    </section>
  );
}
