import { isConditionSchema } from "../conditions";
import { Field, type Found, type JsonSchema } from "./fields";

/** The definition of the items of a list key, when its items are objects that each carry a
 * condition (a switch's ``cases``: ``{name, when, equals}``); else undefined. */
export function conditionItemsOf(schema: JsonSchema, defs: Record<string, JsonSchema> | undefined): JsonSchema | undefined {
  const lists = [schema, ...(schema.anyOf ?? [])].filter((s) => s.items?.$ref);
  for (const list of lists) {
    const item = defs?.[list.items!.$ref!.split("/").pop()!];
    if (item && Object.values(item.properties ?? {}).some((p) => isConditionSchema(p))) return item;
  }
  return undefined;
}

/** A list whose items each carry a condition, one card per item with a field per key of the
 * item's schema — the condition one is the condition builder. Keys holding sub-flows (lists
 * of steps) are left out: on a graph they are edges. An item's other keys are kept as they are. */
export function ConditionList({ name, item, value, onChange, names, problems }: {
  name: string;
  item: JsonSchema;
  value: unknown[];
  onChange: (v: unknown) => void;
  names: string[];
  problems: Found[];
}) {
  const keys = Object.entries(item.properties ?? {}).filter(([, part]) => !part.items?.$ref?.endsWith("/Step"));
  const set = (index: number, key: string, v: unknown) => {
    const next = value.map((entry, i) => {
      if (i !== index) return entry;
      const copy: Record<string, unknown> = { ...(entry as Record<string, unknown>) };
      if (v === undefined) delete copy[key];
      else copy[key] = v;
      return copy;
    });
    onChange(next);
  };
  return (
    <div className="condition-list-items">
      <ol>
        {value.map((entry, i) => {
          const at = (key: string) => problems.filter((p) => p.path?.includes(`.${name}[${i}].${key}`));
          const label = `${name} ${i + 1}`;
          return (
            <li key={i} role="group" aria-label={label} className="card condition-list-item">
              <div className="condition-head">
                <strong>{label}</strong>
                <button type="button" className="condition-remove" aria-label={`Remove ${label}`} onClick={() => onChange(value.filter((_, j) => j !== i))}>
                  ✕
                </button>
              </div>
              {keys.map(([key, part]) => (
                <Field key={key} name={key} schema={part} value={(entry as Record<string, unknown>)?.[key]} names={names} problems={at(key)}
                  onChange={(v) => set(i, key, v)} />
              ))}
            </li>
          );
        })}
      </ol>
      <button type="button" onClick={() => onChange([...value, {}])}>
        + Add to {name}
      </button>
    </div>
  );
}
