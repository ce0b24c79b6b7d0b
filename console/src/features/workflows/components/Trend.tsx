import { Bar, BarChart } from "recharts";

/** A week's runs per day as a small bar chart beside the total; the counts are also read out
 * to screen readers. */
export function Trend({ counts }: { counts: number[] }) {
  const data = counts.map((runs, day) => ({ day, runs }));
  return (
    <span className="trend">
      <span aria-hidden="true">
        <BarChart width={64} height={20} data={data} margin={{ top: 1, right: 0, bottom: 0, left: 0 }}>
          <Bar dataKey="runs" fill="#0b5cad" isAnimationActive={false} minPointSize={1} />
        </BarChart>
      </span>
      <span className="visually-hidden">per day: {counts.join(", ")}; total </span>
    </span>
  );
}
