import { useState } from "react";
import { Link } from "react-router-dom";
import type { Schemas } from "../../../api/client";
import { ProblemAlert } from "../../../components/feedback";
import { useMigrate, useMigration } from "../api/queries";
import { MigrationGraphs } from "./MigrationGraphs";
import { MigrationHistory, STATUS } from "./MigrationHistory";
import { MigrationMap } from "./MigrationMap";

type Planned = Schemas["PlannedRunOut"];

/** Move the runs in flight to another version: preview each run's move, then apply it. */
export function MigrationPanel({ workflowId, versions }: { workflowId: string; versions: number[] }) {
  const newest = Math.max(...versions);
  const [from, setFrom] = useState<number | "all_older">("all_older");
  const [to, setTo] = useState(newest);
  const [map, setMap] = useState<Record<string, string>>({});
  const preview = useMigrate(workflowId);
  const apply = useMigrate(workflowId);
  const applied = apply.data && apply.data.mode === "apply" ? apply.data.id : null;
  const progress = useMigration(workflowId, applied);
  // The API's own defaults for batches and rate, which the typed body spells out.
  const body = { from_version: from, to_version: to, map, batch_size: 500, rate: 1000 };
  const dry = preview.data && preview.data.mode === "dry_run" ? preview.data : null;

  return (
    <section aria-labelledby="migration-title">
      <h2 id="migration-title">Move runs in flight</h2>
      <div className="toolbar">
        <label>
          Runs of
          <select
            value={from}
            onChange={(e) => setFrom(e.target.value === "all_older" ? "all_older" : Number(e.target.value))}
          >
            <option value="all_older">every older version</option>
            {versions.map((v) => (
              <option key={v} value={v}>
                v{v}
              </option>
            ))}
          </select>
        </label>
        <label>
          To
          <select value={to} onChange={(e) => setTo(Number(e.target.value))}>
            {versions.map((v) => (
              <option key={v} value={v}>
                v{v}
              </option>
            ))}
          </select>
        </label>
        <button type="button" disabled={preview.isPending} onClick={() => preview.mutate({ ...body, mode: "dry_run" })}>
          Preview
        </button>
        {dry && dry.movable > 0 && (
          <button
            type="button"
            className="primary"
            disabled={apply.isPending || applied !== null}
            // What was previewed is what moves, whatever the form says since.
            onClick={() => apply.mutate({ ...(preview.variables ?? body), mode: "apply" })}
          >
            Move {dry.movable} run{dry.movable === 1 ? "" : "s"}
          </button>
        )}
      </div>
      <ProblemAlert error={preview.error} title="The preview failed" />
      <ProblemAlert error={apply.error} title="The migration could not start" />
      {progress.data && (
        <p role="status">
          Migration {progress.data.id}: {STATUS[progress.data.status]} — {progress.data.progress.moved} moved,{" "}
          {progress.data.progress.signalled} to move, {progress.data.progress.cannot_move} cannot move
        </p>
      )}
      {dry && (
        <>
          <p className="muted">
            {dry.movable} run{dry.movable === 1 ? "" : "s"} can move, {dry.cannot_move} cannot
            {dry.more && " (the first 1000 runs shown)"}.
          </p>
          <MigrationMap workflowId={workflowId} dry={dry} map={map} onChange={setMap} />
          {dry.runs.length > 0 && <MigrationGraphs workflowId={workflowId} dry={dry} />}
          {dry.runs.length > 0 && <PlannedRuns runs={dry.runs} to={dry.to_version} />}
        </>
      )}
      <MigrationHistory workflowId={workflowId} />
    </section>
  );
}

function PlannedRuns({ runs, to }: { runs: Planned[]; to: number }) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">Where each run would continue in v{to}</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Version</th>
            <th scope="col">Now at</th>
            <th scope="col">Continues at (v{to})</th>
            <th scope="col">Wait</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.run_id}>
              <th scope="row">
                <Link to={`/runs/${r.run_id}`}>{r.run_id}</Link>
              </th>
              <td>v{r.version}</td>
              <td>{r.node_id ?? "—"}</td>
              <td>
                {r.cannot_move ? (
                  <span>
                    cannot move: {r.detail ?? r.reason}
                  </span>
                ) : (
                  <>
                    {r.continues_at}
                    {r.after && <span className="muted"> (once {r.after} is done)</span>}
                  </>
                )}
              </td>
              <td>{r.wait === "kept" ? "keeps its time" : r.wait === "recomputed" ? "recomputed from its start" : "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
