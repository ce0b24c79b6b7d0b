import { useId, useRef, useState, type KeyboardEvent } from "react";
import { isConditionSchema } from "../conditions";
import { ConditionBuilder } from "./ConditionBuilder";
import { ConditionList, conditionItemsOf } from "./ConditionList";
import { TemplatePreview } from "./TemplatePreview";

/** A JSON Schema as the API gives it: just what the forms read. */
export type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  items?: JsonSchema;
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
};

const DURATION_KEYS = new Set(["duration", "offset", "timeout", "delay", "initial_interval", "max_interval", "request_timeout"]);
const LONG_TEXT_KEYS = new Set(["body", "html", "text", "message", "note", "content", "description"]);
const UNITS = [
  ["m", "minutes"],
  ["h", "hours"],
  ["d", "days"],
] as const;

/** The widget for a key: purpose-built ones by name, else by the schema's type; a key that
 * may be text (a template) or something else is text while its value is text. */
export function widgetFor(
  key: string,
  schema: JsonSchema,
  value: unknown,
  defs?: Record<string, JsonSchema>,
): "duration" | "recipient" | "enum" | "text" | "long" | "boolean" | "number" | "condition" | "conditions" | "json" {
  if (DURATION_KEYS.has(key)) return "duration";
  if (isConditionSchema(schema)) return "condition";
  if ((value === undefined || Array.isArray(value)) && conditionItemsOf(schema, defs)) return "conditions";
  if (key === "recipient") return "recipient";
  if (schema.enum) return "enum";
  const types = typeOf(schema);
  const textual = value === undefined || typeof value === "string";
  // Text keys typed Any (an email's body, or a loop's sub-flow) are text while they hold text.
  if (textual && (types.includes("string") || LONG_TEXT_KEYS.has(key))) return LONG_TEXT_KEYS.has(key) ? "long" : "text";
  if (types.length === 1 && types[0] === "boolean") return "boolean";
  if (types.length === 1 && (types[0] === "integer" || types[0] === "number")) return "number";
  return "json";
}

function typeOf(schema: JsonSchema): string[] {
  if (schema.type) return Array.isArray(schema.type) ? schema.type : [schema.type];
  if (schema.anyOf) return [...new Set(schema.anyOf.flatMap(typeOf))];
  if (schema.$ref) return ["object"];
  return [];
}

export type FieldProps = {
  name: string;
  schema: JsonSchema;
  value: unknown;
  onChange: (value: unknown) => void;
  names: string[];
  problems: Found[];
  /** The ``$defs`` of the schema the field's part comes from (what its ``$ref``s name). */
  defs?: Record<string, JsonSchema>;
};

/** A problem validation found on a field (at ``path`` in the document); warnings advise,
 * errors stop activation. */
export type Found = { message: string; severity: "error" | "warning"; path?: string };

/** One configuration key: a label naming the key, its widget, its description and problems. */
export function Field(props: FieldProps) {
  const { name, schema, problems } = props;
  const id = useId();
  const widget = widgetFor(name, schema, props.value, props.defs);
  const describedBy = `${id}-help`;
  return (
    <div className={`field${problems.some((p) => p.severity === "error") ? " invalid" : ""}`}>
      <label htmlFor={id} id={`${id}-label`}>{name}</label>
      <Widget {...props} id={id} widget={widget} describedBy={describedBy} />
      <span id={describedBy} className="muted small">
        {schema.description}
      </span>
      {problems.map((p, i) => (
        <span key={i} className={p.severity === "error" ? "field-problem" : "field-warning"}>
          {p.severity === "warning" && "warning: "}
          {p.message}
        </span>
      ))}
    </div>
  );
}

function Widget({
  id,
  widget,
  describedBy,
  name,
  schema,
  value,
  onChange,
  names,
  problems,
  defs,
}: FieldProps & { id: string; widget: ReturnType<typeof widgetFor>; describedBy: string }) {
  const common = { id, "aria-describedby": describedBy, "aria-invalid": problems.some((p) => p.severity === "error") || undefined };
  switch (widget) {
    case "duration":
      return <DurationInput {...common} name={name} value={value} onChange={onChange} />;
    case "recipient":
      return (
        <select {...common} value={typeof value === "string" ? value : ""} onChange={(e) => onChange(e.target.value || undefined)}>
          <option value="">(not set)</option>
          {["organizer", "invitee", "both", "custom"].map((r) => (
            <option key={r}>{r}</option>
          ))}
        </select>
      );
    case "enum":
      return (
        <select {...common} value={value === undefined ? "" : String(value)} onChange={(e) => onChange(e.target.value || undefined)}>
          <option value="">(not set)</option>
          {schema.enum!.map((v) => (
            <option key={String(v)}>{String(v)}</option>
          ))}
        </select>
      );
    case "boolean":
      return <input {...common} type="checkbox" checked={value === true} onChange={(e) => onChange(e.target.checked || undefined)} />;
    case "number":
      return (
        <input
          {...common}
          type="number"
          value={typeof value === "number" ? value : ""}
          onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))}
        />
      );
    case "condition":
      return <ConditionBuilder {...common} name={name} value={value} onChange={onChange} problems={problems} />;
    case "conditions":
      return <ConditionList name={name} item={conditionItemsOf(schema, defs)!} value={Array.isArray(value) ? value : []} onChange={onChange} names={names} problems={problems} />;
    case "text":
    case "long":
      if (value !== undefined && typeof value !== "string") {
        return <JsonInput {...common} name={name} value={value} onChange={onChange} />;
      }
      return (
        <>
          <TemplateInput {...common} multiline={widget === "long"} value={value ?? ""} onChange={(v) => onChange(v === "" ? undefined : v)} names={names} />
          <TemplatePreview template={String(value ?? "")} field={name} />
        </>
      );
    default:
      return <JsonInput {...common} name={name} value={value} onChange={onChange} />;
  }
}

type Common = { id: string; "aria-describedby": string; "aria-invalid"?: boolean; "aria-label"?: string };

/** A number and a unit ("24" "hours" → "24h"); a negative number is before. A value this
 * cannot show (ISO 8601, an object) is edited as text. */
export function DurationInput({ name, value, onChange, ...common }: Common & { name: string; value: unknown; onChange: (v: unknown) => void }) {
  const match = typeof value === "string" ? /^(-?\d+(?:\.\d+)?)([mhd])$/.exec(value) : null;
  const [unit, setUnit] = useState<string>(match?.[2] ?? "h");
  if (value !== undefined && !match) {
    return (
      <input
        {...common}
        value={typeof value === "string" ? value : JSON.stringify(value)}
        onChange={(e) => onChange(e.target.value || undefined)}
      />
    );
  }
  const amount = match?.[1] ?? "";
  const current = match?.[2] ?? unit;
  return (
    <span className="duration">
      <input
        {...common}
        type="number"
        value={amount}
        onChange={(e) => onChange(e.target.value === "" ? undefined : `${e.target.value}${current}`)}
      />
      <select
        aria-label={`${name} unit`}
        value={current}
        onChange={(e) => {
          setUnit(e.target.value);
          if (amount) onChange(`${amount}${e.target.value}`);
        }}
      >
        {UNITS.map(([u, words]) => (
          <option key={u} value={u}>
            {words}
          </option>
        ))}
      </select>
    </span>
  );
}

/** Any JSON value, as text; applied when it parses (the problem is shown until it does). */
export function JsonInput({ value, onChange, name, ...common }: Common & { name: string; value: unknown; onChange: (v: unknown) => void }) {
  const shown = value === undefined ? "" : JSON.stringify(value, null, 2);
  const [text, setText] = useState(shown);
  const [error, setError] = useState<string | null>(null);
  const [last, setLast] = useState(shown);
  if (shown !== last) {
    setLast(shown);
    setText(shown);
    setError(null);
  }
  return (
    <>
      <textarea
        {...common}
        className="code"
        rows={Math.min(10, Math.max(2, text.split("\n").length))}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onBlur={() => {
          if (text.trim() === "") return onChange(undefined);
          try {
            onChange(JSON.parse(text));
            setError(null);
          } catch {
            setError(`${name}: not JSON yet`);
          }
        }}
      />
      {error && <span className="field-problem">{error}</span>}
    </>
  );
}

/** Text with ``{{ }}`` completion: typing ``{{`` offers the names a template can read. */
export function TemplateInput({
  value,
  onChange,
  names,
  multiline,
  ...common
}: Common & { value: unknown; onChange: (v: string) => void; names: string[]; multiline: boolean }) {
  const ref = useRef<HTMLInputElement & HTMLTextAreaElement>(null);
  const [query, setQuery] = useState<string | null>(null);
  const [active, setActive] = useState(0);
  const text = String(value);
  const options = query === null ? [] : names.filter((n) => n.startsWith(query) || n.includes(`.${query}`)).slice(0, 8);

  const look = (element: HTMLInputElement | HTMLTextAreaElement) => {
    const before = element.value.slice(0, element.selectionStart ?? element.value.length);
    const open = /\{\{\s*([\w.]*)$/.exec(before);
    setQuery(open ? open[1]! : null);
    setActive(0);
  };
  const insert = (name: string) => {
    const element = ref.current;
    if (!element) return;
    const caret = element.selectionStart ?? text.length;
    const before = text.slice(0, caret).replace(/\{\{\s*[\w.]*$/, `{{ ${name} }}`);
    const after = text.slice(caret).replace(/^\s*\}\}/, "");
    onChange(before + after);
    setQuery(null);
    requestAnimationFrame(() => {
      element.focus();
      element.setSelectionRange(before.length, before.length);
    });
  };
  const onKeyDown = (e: KeyboardEvent) => {
    if (!options.length) return;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      setActive((a) => (a + (e.key === "ArrowDown" ? 1 : options.length - 1)) % options.length);
    } else if (e.key === "Enter" || e.key === "Tab") {
      e.preventDefault();
      insert(options[active]!);
    } else if (e.key === "Escape") {
      setQuery(null);
    }
  };
  const listId = `${common.id}-names`;
  const shared = {
    ...common,
    ref,
    value: text,
    role: "combobox",
    "aria-autocomplete": "list" as const,
    "aria-expanded": options.length > 0,
    "aria-controls": listId,
    onChange: (e: { target: HTMLInputElement | HTMLTextAreaElement }) => {
      onChange(e.target.value);
      look(e.target);
    },
    onKeyDown,
    onBlur: () => setTimeout(() => setQuery(null), 150),
  };
  return (
    <span className="template-input">
      {multiline ? <textarea {...shared} rows={4} /> : <input {...shared} />}
      {options.length > 0 && (
        <ul id={listId} role="listbox" className="completions" aria-label="Names">
          {options.map((n, i) => (
            <li
              key={n}
              role="option"
              aria-selected={i === active}
              onMouseDown={(e) => {
                e.preventDefault();
                insert(n);
              }}
            >
              {n}
            </li>
          ))}
        </ul>
      )}
    </span>
  );
}
