import { useState } from "react";
import { Empty, Loading, ProblemAlert } from "../../../components/feedback";
import { duration, percent } from "../../../components/format";
import { useCurrentWorkflow } from "../../workflows/pages/WorkflowPage";
import { useSeries, useWorkflowAnalytics } from "../api/queries";
import { FunnelChart, PeriodPicker, VolumeChart } from "../components/charts";

const seconds = (s: number | null | undefined) => duration(s === null || s === undefined ? null : Math.round(s * 1000));

/** A workflow's analytics for a period: volume and success over time, completion times,
 * the drop-off funnel, goals, A/B variants and each action's success rate. */
export function WorkflowAnalyticsTab() {
  const w = useCurrentWorkflow();
  const [days, setDays] = useState(30);
  const series = useSeries(days, w.id);
  const analytics = useWorkflowAnalytics(w.id, days);
  const a = analytics.data;
  return (
    <>
      <div className="toolbar">
        <PeriodPicker days={days} onChange={setDays} />
      </div>
      <ProblemAlert error={analytics.error ?? series.error} title="The analytics could not be loaded" />
      {!a ? (
        <Loading what="analytics" />
      ) : a.runs === 0 ? (
        <Empty title="No runs in this period">
          <p>Choose a longer period, or send an event that this workflow listens to.</p>
        </Empty>
      ) : (
        <>
          <dl className="figures" aria-label="Figures for the period">
            <div>
              <dt>Runs</dt>
              <dd>{a.runs}</dd>
            </div>
            <div>
              <dt>Goal conversions</dt>
              <dd>
                {a.conversions} ({percent(a.conversion_rate)})
              </dd>
            </div>
            {a.goal_value !== null && a.goal_value !== undefined && (
              <div>
                <dt>Goal value</dt>
                <dd>{a.goal_value}</dd>
              </div>
            )}
            <div>
              <dt>Average completion</dt>
              <dd>{seconds(a.completion.average_seconds)}</dd>
            </div>
            <div>
              <dt>Median completion</dt>
              <dd>{seconds(a.completion.median_seconds)}</dd>
            </div>
          </dl>
          <div className="grid">
            {series.data && <VolumeChart buckets={series.data.buckets} title="Runs and success rate over time" />}
            <FunnelChart
              title="Drop-off: runs that reached each step"
              steps={[...a.nodes].sort((x, y) => y.visits - x.visits).map((n) => ({ node: n.node_id, visits: n.visits }))}
            />
          </div>
          <h2>Steps</h2>
          <div className="table-wrap">
            <table>
              <caption className="visually-hidden">Action-level success rates</caption>
              <thead>
                <tr>
                  <th scope="col">Step</th>
                  <th scope="col">Type</th>
                  <th scope="col">Reached</th>
                  <th scope="col">Completed</th>
                  <th scope="col">Failed</th>
                  <th scope="col">Open</th>
                  <th scope="col">Success rate</th>
                  <th scope="col">Average time</th>
                </tr>
              </thead>
              <tbody>
                {a.nodes.map((n) => (
                  <tr key={n.node_id}>
                    <th scope="row">{n.node_id}</th>
                    <td>{n.type}</td>
                    <td className="number">{n.visits}</td>
                    <td className="number">{n.completed}</td>
                    <td className="number">{n.failed}</td>
                    <td className="number">{n.open}</td>
                    <td className="number">{percent(n.success_rate)}</td>
                    <td className="number">{seconds(n.average_seconds)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          {a.drop_off.length > 0 && (
            <>
              <h2>Where runs stopped</h2>
              <ul>
                {a.drop_off.map((d) => (
                  <li key={d.node_id}>
                    <strong>{d.node_id}</strong>:{" "}
                    {[
                      ...Object.entries(d.ended ?? {}).map(([status, n]) => `${n} ${status.replace("_", " ")}`),
                      ...(d.waiting ? [`${d.waiting} still there`] : []),
                    ].join(", ")}
                  </li>
                ))}
              </ul>
            </>
          )}
          {a.goals.length > 0 && (
            <>
              <h2>Goals</h2>
              <ul>
                {a.goals.map((g) => (
                  <li key={g.goal}>
                    <strong>{g.goal}</strong>: {g.conversions} conversions
                    {g.value !== null && g.value !== undefined && ` (value ${g.value})`}
                  </li>
                ))}
              </ul>
            </>
          )}
          {a.variants.length > 0 && (
            <>
              <h2>A/B variants</h2>
              <div className="variants">
                {a.variants.map((v) => (
                  <div className="card" key={v.variant} aria-label={`Variant ${v.variant}`}>
                    <h3>Variant {v.variant}</h3>
                    <dl className="figures">
                      <div>
                        <dt>Runs</dt>
                        <dd>{v.runs}</dd>
                      </div>
                      <div>
                        <dt>Conversions</dt>
                        <dd>
                          {v.conversions} ({percent(v.conversion_rate)})
                        </dd>
                      </div>
                      <div>
                        <dt>Failed</dt>
                        <dd>{v.failed}</dd>
                      </div>
                    </dl>
                  </div>
                ))}
              </div>
            </>
          )}
        </>
      )}
    </>
  );
}
