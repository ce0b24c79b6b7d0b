import type { Schemas } from "../../../api/client";
import { useGraph } from "../api/queries";

type DryRun = Schemas["DryRunOut"];

/** Reasons a map can answer: the run's node is gone from the new version, or is another type. */
const MAPPABLE = new Set(["node_removed", "type_changed"]);

/** Where runs at nodes the new version lacks should continue: one choice per such node,
 * sent as the migration's ``map`` with the next preview. */
export function MigrationMap({
  workflowId,
  dry,
  map,
  onChange,
}: {
  workflowId: string;
  dry: DryRun;
  map: Record<string, string>;
  onChange: (map: Record<string, string>) => void;
}) {
  const target = useGraph(workflowId, 30, dry.to_version);
  const stranded = [
    ...new Set(dry.runs.filter((r) => r.cannot_move && r.reason && MAPPABLE.has(r.reason)).map((r) => r.node_id ?? "")),
  ].filter(Boolean);
  // Nodes the map already names stay choosable after a preview that used them.
  const nodes = [...new Set([...stranded, ...Object.keys(map)])].sort();
  const choices = (target.data?.nodes ?? []).filter((n) => n.type !== "trigger");
  if (nodes.length === 0 || choices.length === 0) return null;
  return (
    <fieldset className="toolbar">
      <legend>Nodes v{dry.to_version} does not have: choose where their runs continue, then preview again</legend>
      {nodes.map((node) => (
        <label key={node}>
          Runs at {node} continue at
          <select
            value={map[node] ?? ""}
            onChange={(e) => {
              const rest = Object.fromEntries(Object.entries(map).filter(([old]) => old !== node));
              onChange(e.target.value ? { ...rest, [node]: e.target.value } : rest);
            }}
          >
            <option value="">nowhere: they stay on their version</option>
            {choices.map((n) => (
              <option key={n.id} value={n.id}>
                {n.label === n.id ? n.id : `${n.label} (${n.id})`}
              </option>
            ))}
          </select>
        </label>
      ))}
    </fieldset>
  );
}
