import { Link } from "react-router-dom";
import type { Run } from "../../../api/client";
import { duration, StatusBadge, When } from "../../../components/format";

/** Runs as a table: each links to its page. ``names`` maps workflow ids to names. */
export function RunsTable({
  runs,
  names,
  caption,
}: {
  runs: Run[];
  names?: Map<string, string>;
  caption: string;
}) {
  return (
    <div className="table-wrap">
      <table>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            {names && <th scope="col">Workflow</th>}
            <th scope="col">Status</th>
            <th scope="col">Entity</th>
            <th scope="col">Trigger</th>
            <th scope="col">Started</th>
            <th scope="col">Duration</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((run) => (
            <tr key={run.id}>
              <th scope="row">
                <Link to={`/runs/${run.id}`}>{run.id}</Link>
                {run.retry_of && <div className="muted small">retry of {run.retry_of}</div>}
              </th>
              {names && (
                <td>
                  <Link to={`/workflows/${run.workflow_id}`}>
                    {names.get(run.workflow_id) ?? run.workflow_id}
                  </Link>{" "}
                  <span className="muted small">v{run.version}</span>
                </td>
              )}
              <td>
                <StatusBadge status={run.status} />
                {!!run.steps_failed && (
                  <div className="muted small">
                    {run.steps_failed} failed {run.steps_failed === 1 ? "step" : "steps"}
                  </div>
                )}
              </td>
              <td>{run.entity ?? <span className="muted">—</span>}</td>
              <td>{String(run.trigger?.type ?? "—")}</td>
              <td>
                <When at={run.started_at} />
              </td>
              <td className="number">{duration(run.duration_ms)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
