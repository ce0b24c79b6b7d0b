import { useState } from "react";
import { Link } from "react-router-dom";
import type { Schemas } from "../../../api/client";
import { Empty, Loading, ProblemAlert } from "../../../components/feedback";
import { percent } from "../../../components/format";
import { useSeries, useTenantStats } from "../api/queries";
import { PeriodPicker, VolumeChart } from "../components/charts";

type Stats = Schemas["WorkflowStats"];

/** Every workflow's runs for a period: volume and success over time, the busiest, the most
 * and least successful workflows, and those that need attention. */
export function AnalyticsPage() {
  const [days, setDays] = useState(30);
  const stats = useTenantStats(days);
  const series = useSeries(days);
  const s = stats.data;
  const rated = (s?.workflows ?? []).filter((w) => w.success_rate !== null && w.success_rate !== undefined);
  const best = [...rated].sort((a, b) => b.success_rate! - a.success_rate! || b.total - a.total).slice(0, 5);
  const worst = [...rated].sort((a, b) => a.success_rate! - b.success_rate! || b.total - a.total).slice(0, 5);
  return (
    <section aria-labelledby="analytics-title">
      <header className="page-header">
        <h1 id="analytics-title">Analytics</h1>
        <div className="actions">
          <PeriodPicker days={days} onChange={setDays} />
        </div>
      </header>
      <ProblemAlert error={stats.error ?? series.error} title="The analytics could not be loaded" />
      {!s ? (
        <Loading what="analytics" />
      ) : s.overall.runs === 0 ? (
        <Empty title="No runs in this period">
          <p>Activate a workflow and send it an event (Events page) to see figures here.</p>
        </Empty>
      ) : (
        <>
          <dl className="figures" aria-label="Figures for the period">
            <div>
              <dt>Runs</dt>
              <dd>{s.overall.runs}</dd>
            </div>
            <div>
              <dt>Succeeded</dt>
              <dd>{s.overall.succeeded}</dd>
            </div>
            <div>
              <dt>Failed</dt>
              <dd>{s.overall.failed}</dd>
            </div>
            <div>
              <dt>Success rate</dt>
              <dd>{percent(s.overall.success_rate)}</dd>
            </div>
            <div>
              <dt>Open</dt>
              <dd>{s.overall.open}</dd>
            </div>
            <div>
              <dt>Slow runs (over 60 s)</dt>
              <dd>{s.overall.slow_runs}</dd>
            </div>
          </dl>
          {series.data && <VolumeChart buckets={series.data.buckets} title="Runs and success rate over time" />}
          <div className="grid">
            <Ranking title="Busiest workflows" rows={s.top} />
            <Ranking title="Most successful" rows={best} />
            <Ranking title="Least successful" rows={worst} />
          </div>
          {s.problematic.length > 0 && (
            <>
              <h2>Needs attention</h2>
              <ul>
                {s.problematic.map((p) => (
                  <li key={p.workflow.workflow_id}>
                    <Link to={`/workflows/${p.workflow.workflow_id}/analytics`}>{p.workflow.name}</Link>:{" "}
                    {p.reasons.join("; ")}
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </section>
  );
}

function Ranking({ title, rows }: { title: string; rows: Stats[] }) {
  return (
    <div className="card">
      <h2>{title}</h2>
      {rows.length === 0 ? (
        <p className="muted">No ended runs yet.</p>
      ) : (
        <table>
          <caption className="visually-hidden">{title}</caption>
          <thead>
            <tr>
              <th scope="col">Workflow</th>
              <th scope="col">Runs</th>
              <th scope="col">Success rate</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((w) => (
              <tr key={w.workflow_id}>
                <th scope="row">
                  <Link to={`/workflows/${w.workflow_id}/analytics`}>{w.name}</Link>
                </th>
                <td className="number">{w.total}</td>
                <td className="number">{percent(w.success_rate)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
