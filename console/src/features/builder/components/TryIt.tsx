import { useState } from "react";
import { ProblemAlert } from "../../../components/feedback";
import { StatusBadge } from "../../../components/format";
import { useSimulate, type Simulation } from "../api/queries";
import type { Doc } from "../model";

/** Runs the draft through the simulator (time skipped, nothing sent): the timeline of its
 * steps with what each action would send; the path is highlighted on the canvas. */
export function TryIt({ doc, workflowId, sample, onPath }: {
  doc: Doc;
  workflowId: string | null;
  sample: Record<string, unknown>;
  onPath: (path: string[]) => void;
}) {
  const simulate = useSimulate();
  const [data, setData] = useState(() => JSON.stringify(sample, null, 2));
  const [edited, setEdited] = useState(false);
  const shown = edited ? data : JSON.stringify(sample, null, 2);
  const [bad, setBad] = useState<string | null>(null);
  const run = () => {
    let parsed: Record<string, unknown>;
    try {
      parsed = JSON.parse(shown) as Record<string, unknown>;
      setBad(null);
    } catch {
      setBad("The event data is not JSON.");
      return;
    }
    simulate.mutate(
      { definition: doc, workflow_id: workflowId, event: { data: parsed }, events: [], outputs: {} },
      { onSuccess: (report) => onPath(report.path) },
    );
  };
  return (
    <section className="card try-it" aria-labelledby="try-it-title">
      <h2 id="try-it-title">Try it</h2>
      <p className="muted small">Simulates the draft with time skipped; nothing is sent.</p>
      <label htmlFor="try-data">Event data</label>
      <textarea id="try-data" className="code" rows={6} value={shown} onChange={(e) => { setEdited(true); setData(e.target.value); }} />
      {bad && <p className="field-problem">{bad}</p>}
      <button type="button" className="primary" onClick={run} disabled={simulate.isPending}>
        {simulate.isPending ? "Simulating…" : "Simulate"}
      </button>
      <ProblemAlert error={simulate.error} title="The draft could not be simulated" />
      {simulate.data && <Timeline report={simulate.data} />}
    </section>
  );
}

function Timeline({ report }: { report: Simulation }) {
  return (
    <div aria-label="Simulation">
      <p>
        <StatusBadge status={report.status} /> in {report.duration} (simulated) · path {report.path.join(" → ")}
      </p>
      <ol className="timeline" aria-label="Simulated steps">
        {report.steps.map((s) => (
          <li key={s.step_key}>
            <div className="step-head">
              <h3>{s.node_id}</h3>
              <span className="muted">{s.type}</span>
              <StatusBadge status={s.status} />
              <span>after {s.at}</span>
              <span className="muted small">{instant(report.started_at, s.offset_seconds)}</span>
            </div>
            {s.content && <Content content={s.content} />}
            {s.error && <pre className="json">{JSON.stringify(s.error, null, 2)}</pre>}
          </li>
        ))}
      </ol>
    </div>
  );
}

/** The simulated instant of a step, to the second (UTC). */
function instant(start: string, offsetSeconds: number): string {
  const at = Math.round(Date.parse(start) / 1000 + offsetSeconds) * 1000;
  return new Date(at).toISOString().replace(".000Z", "Z");
}

function Content({ content }: { content: Record<string, unknown> }) {
  const shown = ["to", "subject", "text", "body", "url", "method"].filter((k) => content[k] !== undefined);
  return (
    <dl className="facts">
      {shown.map((k) => (
        <div key={k} style={{ display: "contents" }}>
          <dt>{k}</dt>
          <dd>{Array.isArray(content[k]) ? (content[k] as unknown[]).join(", ") : String(content[k])}</dd>
        </div>
      ))}
    </dl>
  );
}
