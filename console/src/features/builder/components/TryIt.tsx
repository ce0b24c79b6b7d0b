import { useState } from "react";
import { ProblemAlert } from "../../../components/feedback";
import { StatusBadge } from "../../../components/format";
import { useSimulate, type Simulation } from "../api/queries";
import type { Doc } from "../model";

/** An event scripted to arrive during the simulation: its type, when (after the start, or an
 * instant), about which entity (default: the run's) and its data (JSON text, as typed). */
export type ScriptedRow = { key: number; type: string; at: string; entity: string; data: string };
/** A step whose action returns ``output`` (JSON text, as typed) instead of a simulated success,
 * or fails with ``message``. */
export type MockRow = { key: number; node: string; fails: boolean; output: string; message: string };
/** What Try it simulates with, kept by the page while the draft is edited: the event data
 * typed (null: the sample), the later events and the mocked outputs. */
export type TryInputs = { data: string | null; events: ScriptedRow[]; mocks: MockRow[] };
export const NO_INPUTS: TryInputs = { data: null, events: [], mocks: [] };

/** The event data Try it simulates with: the data typed when it is a JSON object, else the
 * sample (what template previews render against too). */
export function eventData(inputs: TryInputs, sample: Record<string, unknown>): Record<string, unknown> {
  if (inputs.data === null) return sample;
  const parsed = parseObject(inputs.data);
  return parsed ?? sample;
}

/** Runs the draft through the simulator (time skipped, nothing sent) with the event data,
 * later events and mocked outputs given: the timeline of its steps and of the events' arrival
 * with what each action would send; the path is highlighted on the canvas. */
export function TryIt({ doc, workflowId, sample, actions, eventTypes, inputs, onInputs, onPath }: {
  doc: Doc;
  workflowId: string | null;
  sample: Record<string, unknown>;
  actions: string[];
  eventTypes: string[];
  inputs: TryInputs;
  onInputs: (next: (inputs: TryInputs) => TryInputs) => void;
  onPath: (path: string[]) => void;
}) {
  const simulate = useSimulate();
  const [bad, setBad] = useState<string[]>([]);
  const [mocked, setMocked] = useState<Mocked>(new Map());
  const shown = inputs.data ?? JSON.stringify(sample, null, 2);
  const run = () => {
    const problems: string[] = [];
    const data = parseObject(shown);
    if (!data) problems.push("The event data is not a JSON object.");
    const events = inputs.events.map((e, i) => {
      const parsed = e.data.trim() ? parseObject(e.data) : {};
      if (!e.type.trim()) problems.push(`Later event ${i + 1} needs its type.`);
      if (!parsed) problems.push(`Later event ${i + 1}: its data is not a JSON object.`);
      return { type: e.type.trim(), at: e.at.trim() || 0, data: parsed ?? {}, ...(e.entity.trim() ? { entity: e.entity.trim() } : {}) };
    });
    const outputs: Record<string, unknown> = {};
    const failures: Record<string, string> = {};
    inputs.mocks.forEach((m, i) => {
      if (!m.node) return problems.push(`Mocked output ${i + 1} needs its step.`);
      if (m.fails) {
        if (!m.message.trim()) problems.push(`The failure of ${m.node} needs its message.`);
        failures[m.node] = m.message.trim();
        return;
      }
      try {
        outputs[m.node] = JSON.parse(m.output);
      } catch {
        problems.push(`The mocked output of ${m.node} is not JSON.`);
      }
    });
    setBad(problems);
    if (problems.length) return;
    simulate.mutate(
      { definition: doc, workflow_id: workflowId, event: { data: data! }, events, outputs: outputs as Record<string, never>, failures },
      {
        onSuccess: (report) => {
          setMocked(new Map([...Object.keys(outputs).map((n) => [n, "output"] as const), ...Object.keys(failures).map((n) => [n, "failure"] as const)]));
          onPath(report.path);
        },
      },
    );
  };
  const nextKey = () => Date.now() + Math.random();
  const setEvent = (key: number, change: Partial<ScriptedRow>) =>
    onInputs((x) => ({ ...x, events: x.events.map((e) => (e.key === key ? { ...e, ...change } : e)) }));
  const setMock = (key: number, change: Partial<MockRow>) =>
    onInputs((x) => ({ ...x, mocks: x.mocks.map((m) => (m.key === key ? { ...m, ...change } : m)) }));
  return (
    <section className="card try-it" aria-labelledby="try-it-title">
      <h2 id="try-it-title">Try it</h2>
      <p className="muted small">Simulates the draft with time skipped; nothing is sent. Template previews render against this event data.</p>
      <label htmlFor="try-data">
        <span>Event data {inputs.data === null ? <span className="muted small">(sample)</span> : null}</span>
      </label>
      <textarea id="try-data" className="code" rows={6} value={shown} onChange={(e) => onInputs((x) => ({ ...x, data: e.target.value }))} />
      {inputs.data !== null && (
        <button type="button" className="link" onClick={() => onInputs((x) => ({ ...x, data: null }))}>Back to the sample data</button>
      )}

      <fieldset className="try-rows" aria-label="Later events">
        <legend>Later events</legend>
        {inputs.events.length === 0 && <p className="muted small">None: waits for an event time out.</p>}
        {inputs.events.map((e, i) => (
          <div key={e.key} className="try-row" role="group" aria-label={`Later event ${i + 1}`}>
            <label>
              type
              <input list="try-event-types" value={e.type} onChange={(ev) => setEvent(e.key, { type: ev.target.value })} />
            </label>
            <label>
              when
              <input value={e.at} placeholder="2d" aria-describedby="try-at-help" onChange={(ev) => setEvent(e.key, { at: ev.target.value })} />
            </label>
            <label>
              entity
              <input value={e.entity} placeholder="the run's" onChange={(ev) => setEvent(e.key, { entity: ev.target.value })} />
            </label>
            <label className="wide">
              data
              <textarea className="code" rows={1} value={e.data} placeholder="{}" onChange={(ev) => setEvent(e.key, { data: ev.target.value })} />
            </label>
            <button type="button" aria-label={`Remove later event ${i + 1}`} onClick={() => onInputs((x) => ({ ...x, events: x.events.filter((y) => y.key !== e.key) }))}>✕</button>
          </div>
        ))}
        <datalist id="try-event-types">
          {eventTypes.map((t) => <option key={t} value={t} />)}
        </datalist>
        {inputs.events.length > 0 && (
          <span id="try-at-help" className="muted small">when: after the start (30m, 2d, P2D) or an instant (2030-01-15T10:00:00Z)</span>
        )}
        <button type="button" onClick={() => onInputs((x) => ({ ...x, events: [...x.events, { key: nextKey(), type: "", at: "1d", entity: "", data: "" }] }))}>
          Add a later event
        </button>
      </fieldset>

      <fieldset className="try-rows" aria-label="Mocked outputs">
        <legend>Mocked outputs</legend>
        {inputs.mocks.length === 0 && <p className="muted small">None: each action returns a simulated success. A mock returns an output of your own, or fails (at once, no retry).</p>}
        {inputs.mocks.map((m, i) => (
          <div key={m.key} className="try-row" role="group" aria-label={`Mocked output ${i + 1}`}>
            <label>
              step
              <select value={m.node} onChange={(ev) => setMock(m.key, { node: ev.target.value })}>
                <option value="">(pick an action)</option>
                {[...new Set([...actions, ...(m.node ? [m.node] : [])])].map((n) => <option key={n}>{n}</option>)}
              </select>
            </label>
            <label>
              result
              <select value={m.fails ? "fails" : "returns"} onChange={(ev) => setMock(m.key, { fails: ev.target.value === "fails" })}>
                <option value="returns">returns an output</option>
                <option value="fails">fails</option>
              </select>
            </label>
            {m.fails ? (
              <label className="wide">
                error message
                <input value={m.message} onChange={(ev) => setMock(m.key, { message: ev.target.value })} />
              </label>
            ) : (
              <label className="wide">
                output (JSON)
                <textarea className="code" rows={2} value={m.output} onChange={(ev) => setMock(m.key, { output: ev.target.value })} />
              </label>
            )}
            <button type="button" aria-label={`Remove mocked output ${i + 1}`} onClick={() => onInputs((x) => ({ ...x, mocks: x.mocks.filter((y) => y.key !== m.key) }))}>✕</button>
          </div>
        ))}
        <button type="button" disabled={actions.length === 0} onClick={() => onInputs((x) => ({ ...x, mocks: [...x.mocks, { key: nextKey(), node: actions.find((a) => !x.mocks.some((y) => y.node === a)) ?? "", fails: false, output: '{"status": 200, "json": {}}', message: "Connection refused" }] }))}>
          Mock an action's output
        </button>
      </fieldset>

      {bad.map((b) => <p key={b} className="field-problem">{b}</p>)}
      <button type="button" className="primary" onClick={run} disabled={simulate.isPending}>
        {simulate.isPending ? "Simulating…" : "Simulate"}
      </button>
      <ProblemAlert error={simulate.error} title="The draft could not be simulated" />
      {simulate.data && <Timeline report={simulate.data} mocked={mocked} />}
    </section>
  );
}

type Step = Simulation["steps"][number];
/** The steps mocked in the last simulation: node id → what the mock did. */
type Mocked = Map<string, "output" | "failure">;
type Arrival = Simulation["events"][number];

/** The steps and the scripted events' arrivals, in simulated time (an event before the steps
 * it wakes). */
function Timeline({ report, mocked }: { report: Simulation; mocked: Mocked }) {
  const entries: ({ step: Step } | { arrival: Arrival })[] = [
    ...report.events.map((arrival) => ({ arrival })),
    ...report.steps.map((step) => ({ step })),
  ];
  const at = (e: (typeof entries)[number]) => ("step" in e ? e.step.offset_seconds : e.arrival.offset_seconds);
  entries.sort((a, b) => at(a) - at(b) || ("arrival" in a ? -1 : 0) - ("arrival" in b ? -1 : 0));
  return (
    <div aria-label="Simulation">
      <p>
        <StatusBadge status={report.status} /> in {report.duration} (simulated) · path {report.path.join(" → ")}
      </p>
      <ol className="timeline" aria-label="Simulated steps">
        {entries.map((e) =>
          "step" in e ? (
            <StepEntry key={e.step.step_key} step={e.step} start={report.started_at} mocked={mocked.get(e.step.node_id)} />
          ) : (
            <li key={`event-${e.arrival.id}`} className="arrival" aria-label={`Event ${e.arrival.type} arrived`}>
              <div className="step-head">
                <h3>⤵ {e.arrival.type}</h3>
                <span className="muted">event arrived</span>
                <span>after {e.arrival.at}</span>
                <span className="muted small">{instant(report.started_at, e.arrival.offset_seconds)}</span>
              </div>
            </li>
          ),
        )}
      </ol>
    </div>
  );
}

function StepEntry({ step: s, start, mocked }: { step: Step; start: string; mocked: "output" | "failure" | undefined }) {
  const outcome = outcomeOf(s);
  return (
    <li aria-label={`Step ${s.node_id}`}>
      <div className="step-head">
        <h3>{s.node_id}</h3>
        <span className="muted">{s.type}</span>
        <StatusBadge status={s.status} />
        <span>after {s.at}</span>
        <span className="muted small">{instant(start, s.offset_seconds)}</span>
        {mocked && <span className="badge mocked">mocked {mocked}</span>}
      </div>
      {outcome && <p className="outcome">{outcome}</p>}
      {s.content && <Content content={s.content} />}
      {mocked === "output" && <pre className="json">{JSON.stringify(s.output, null, 2)}</pre>}
      {s.error && <p className="field-problem">Failed: {String(s.error.message ?? JSON.stringify(s.error))}</p>}
    </li>
  );
}

/** What a wait or a branch decided, in words: the event received or the timeout, the result. */
function outcomeOf(s: Step): string | null {
  const output = (s.output ?? {}) as Record<string, unknown>;
  if (s.type === "wait_for_event") {
    return output.timed_out ? `Timed out after ${s.ended ?? "?"}: no ${String(output.event ?? "event")} came` : `Received ${String(output.type ?? "the event")} after ${s.ended ?? "?"}`;
  }
  if ("result" in output && typeof output.result === "boolean") return `Result: ${String(output.result)}`;
  return null;
}

/** The simulated instant of a step, to the second (UTC). */
function instant(start: string, offsetSeconds: number): string {
  const at = Math.round(Date.parse(start) / 1000 + offsetSeconds) * 1000;
  return new Date(at).toISOString().replace(".000Z", "Z");
}

function Content({ content }: { content: Record<string, unknown> }) {
  const shown = ["to", "subject", "text", "body", "url", "method"].filter((k) => content[k] !== undefined && content[k] !== null);
  return (
    <dl className="facts">
      {shown.map((k) => (
        <div key={k} style={{ display: "contents" }}>
          <dt>{k}</dt>
          <dd>{Array.isArray(content[k]) ? (content[k] as unknown[]).join(", ") : typeof content[k] === "object" ? JSON.stringify(content[k]) : String(content[k])}</dd>
        </div>
      ))}
    </dl>
  );
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
