import {
  Bar,
  BarChart,
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import type { Schemas } from "../../../api/client";

type Bucket = Schemas["Bucket"];

export const PERIODS = [
  [1, "24 hours"],
  [7, "7 days"],
  [30, "30 days"],
  [90, "90 days"],
] as const;

export function PeriodPicker({ days, onChange }: { days: number; onChange: (days: number) => void }) {
  return (
    <label>
      Period
      <select value={days} onChange={(e) => onChange(Number(e.target.value))}>
        {PERIODS.map(([value, label]) => (
          <option key={value} value={value}>
            last {label}
          </option>
        ))}
      </select>
    </label>
  );
}

function tick(iso: string, hourly: boolean): string {
  const at = new Date(iso);
  return hourly
    ? at.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" })
    : at.toLocaleDateString("en-GB", { day: "numeric", month: "short" });
}

/** Volume (stacked by outcome) and success rate over the period, bucket by bucket. The same
 * figures are in a table for screen readers. */
export function VolumeChart({ buckets, title }: { buckets: Bucket[]; title: string }) {
  const hourly = buckets.length === 24;
  const rows = buckets.map((b) => ({
    when: tick(b.from, hourly),
    succeeded: b.succeeded,
    failed: b.failed,
    other: b.runs - b.succeeded - b.failed,
    rate: b.success_rate === null || b.success_rate === undefined ? null : Math.round(b.success_rate * 100),
  }));
  return (
    <figure className="card chart" aria-label={title}>
      <figcaption>{title}</figcaption>
      <ResponsiveContainer width="100%" height={260}>
        <ComposedChart data={rows} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
          <CartesianGrid strokeDasharray="3 3" vertical={false} />
          <XAxis dataKey="when" fontSize={12} />
          <YAxis yAxisId="runs" allowDecimals={false} fontSize={12} />
          <YAxis yAxisId="rate" orientation="right" domain={[0, 100]} unit="%" fontSize={12} />
          <Tooltip />
          <Legend />
          <Bar isAnimationActive={false} yAxisId="runs" dataKey="succeeded" stackId="runs" fill="#1a7f37" name="succeeded" />
          <Bar isAnimationActive={false} yAxisId="runs" dataKey="failed" stackId="runs" fill="#cf222e" name="failed" />
          <Bar isAnimationActive={false} yAxisId="runs" dataKey="other" stackId="runs" fill="#8c959f" name="open, cancelled, skipped" />
          <Line isAnimationActive={false} yAxisId="rate" dataKey="rate" stroke="#0b5cad" strokeWidth={2} dot={{ r: 3 }} connectNulls name="success rate %" />
        </ComposedChart>
      </ResponsiveContainer>
      <table className="visually-hidden">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th>Period</th>
            <th>Succeeded</th>
            <th>Failed</th>
            <th>Success rate</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              <td>{r.when}</td>
              <td>{r.succeeded}</td>
              <td>{r.failed}</td>
              <td>{r.rate ?? "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

/** How many runs reached each step, in the order the flow takes them: the drop-off funnel. */
export function FunnelChart({ steps, title }: { steps: { node: string; visits: number }[]; title: string }) {
  return (
    <figure className="card chart" aria-label={title}>
      <figcaption>{title}</figcaption>
      <ResponsiveContainer width="100%" height={Math.max(120, steps.length * 34 + 40)}>
        <BarChart data={steps} layout="vertical" margin={{ top: 4, right: 24, bottom: 0, left: 24 }}>
          <CartesianGrid strokeDasharray="3 3" horizontal={false} />
          <XAxis type="number" allowDecimals={false} fontSize={12} />
          <YAxis type="category" dataKey="node" width={110} fontSize={12} />
          <Tooltip />
          <Bar isAnimationActive={false} dataKey="visits" fill="#0b5cad" name="runs that reached it" label={{ position: "right", fontSize: 12 }} />
        </BarChart>
      </ResponsiveContainer>
    </figure>
  );
}
