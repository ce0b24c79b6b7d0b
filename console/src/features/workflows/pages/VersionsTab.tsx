import { useState } from "react";
import { useMay } from "../../../api/me";
import { Loading, ProblemAlert } from "../../../components/feedback";
import { exactTime } from "../../../components/format";
import { useDiff, useRollback, useVersions } from "../api/queries";
import { MigrationPanel } from "../components/MigrationPanel";
import { SideBySide } from "../components/SideBySide";
import { useCurrentWorkflow } from "./WorkflowPage";

/** Every version; two of them side by side with what changed; rollback to an older one. */
export function VersionsTab() {
  const w = useCurrentWorkflow();
  const versions = useVersions(w.id);
  const rollback = useRollback(w.id);
  const may = useMay();
  const [picked, setPicked] = useState<{ from: number; to: number } | null>(null);
  // Until a person picks two versions: the latest against the one before.
  const newest = versions.data?.reduce((n, v) => Math.max(n, v.version), 0) ?? 0;
  const from = picked?.from ?? Math.max(1, newest - 1);
  const to = picked?.to ?? newest;
  const diff = useDiff(w.id, from, to);

  if (versions.isPending) return <Loading what="versions" />;
  if (versions.error) return <ProblemAlert error={versions.error} title="The versions could not be loaded" />;
  const list = [...versions.data].sort((a, b) => b.version - a.version);
  const latest = list[0]?.version;
  const documentOf = (n: number) => {
    const v = list.find((x) => x.version === n);
    return v ? JSON.stringify(v.source ?? v.definition, null, 2) : "";
  };

  return (
    <>
      <div className="table-wrap">
        <table>
          <caption className="visually-hidden">Versions of {w.name}</caption>
          <thead>
            <tr>
              <th scope="col">Version</th>
              <th scope="col">Saved</th>
              <th scope="col">Message</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((v) => (
              <tr key={v.version}>
                <th scope="row">
                  v{v.version}
                  {v.version === latest && " (latest)"}
                  {v.version === w.active_version && " (active)"}
                </th>
                <td>{exactTime(v.created_at)}</td>
                <td>{v.message ?? <span className="muted">—</span>}</td>
                <td>
                  {may.edit_workflows && v.version !== latest && (
                    <button
                      type="button"
                      disabled={rollback.isPending || w.status === "archived"}
                      onClick={() => rollback.mutate(v.version)}
                    >
                      Roll back to v{v.version}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <ProblemAlert error={rollback.error} title="The rollback failed" />
      {list.length > 1 && <MigrationPanel workflowId={w.id} versions={list.map((v) => v.version)} />}
      {list.length > 1 && (
        <>
          <h2>Compare</h2>
          <div className="toolbar">
            <label>
              From
              <select value={from} onChange={(e) => setPicked({ from: Number(e.target.value), to })}>
                {list.map((v) => (
                  <option key={v.version} value={v.version}>
                    v{v.version}
                  </option>
                ))}
              </select>
            </label>
            <label>
              To
              <select value={to} onChange={(e) => setPicked({ from, to: Number(e.target.value) })}>
                {list.map((v) => (
                  <option key={v.version} value={v.version}>
                    v{v.version}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {diff.data && (
            <div className="card" aria-label="Changes">
              {!diff.data.changed ? (
                <p>These versions run the same graph.</p>
              ) : (
                <ul>
                  {Object.entries(diff.data.fields).map(([field, change]) => (
                    <li key={field}>
                      {field} changed from “{String(change.from)}” to “{String(change.to)}”
                    </li>
                  ))}
                  {diff.data.trigger && <li>trigger changed: {diff.data.trigger.keys.join(", ")}</li>}
                  {diff.data.settings && <li>settings changed: {diff.data.settings.keys.join(", ")}</li>}
                  {diff.data.nodes.added.map((n) => (
                    <li key={`+${String(n.id)}`}>node {String(n.id)} added</li>
                  ))}
                  {diff.data.nodes.removed.map((n) => (
                    <li key={`-${String(n.id)}`}>node {String(n.id)} removed</li>
                  ))}
                  {diff.data.nodes.changed.map((n) => (
                    <li key={`~${n.id}`}>
                      node {n.id} changed: {n.keys.map((k) => k.replace(/^config\./, "")).join(", ")}
                    </li>
                  ))}
                  {diff.data.edges.added.length > 0 && <li>{diff.data.edges.added.length} edge(s) added</li>}
                  {diff.data.edges.removed.length > 0 && <li>{diff.data.edges.removed.length} edge(s) removed</li>}
                </ul>
              )}
            </div>
          )}
          <SideBySide before={documentOf(from)} after={documentOf(to)} labels={[`v${from}`, `v${to}`]} />
        </>
      )}
    </>
  );
}
