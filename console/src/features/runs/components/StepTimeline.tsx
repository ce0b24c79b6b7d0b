import type { Schemas, Run, Step } from "../../../api/client";
import { Empty } from "../../../components/feedback";
import { duration, exactTime, StatusBadge } from "../../../components/format";

type Delivery = Schemas["DeliveryOut"];
type NodeConfig = { id: string; type: string; config?: Record<string, unknown> };

/** The run's steps in the order taken: status, attempts, timing, error, output and — for
 * actions — what was sent, from the delivery log. */
export function StepTimeline({
  run,
  deliveries,
  definition,
}: {
  run: Run;
  deliveries: Delivery[];
  definition?: Record<string, unknown>;
}) {
  const steps = run.steps ?? [];
  if (!steps.length) {
    return (
      <Empty title="No steps yet">
        <p>{run.status === "running" ? "The first step starts in a moment." : "This run took no step."}</p>
      </Empty>
    );
  }
  const nodes = new Map(((definition?.nodes ?? []) as NodeConfig[]).map((n) => [n.id, n]));
  return (
    <ol className="timeline" aria-label="Steps">
      {steps.map((step) => (
        <StepItem
          key={step.step_key ?? step.node_id}
          step={step}
          sent={deliveries.filter((d) => d.step_key === (step.step_key ?? step.node_id))}
          node={nodes.get(step.node_id)}
        />
      ))}
    </ol>
  );
}

function StepItem({ step, sent, node }: { step: Step; sent: Delivery[]; node?: NodeConfig }) {
  const name = step.step_key ?? step.node_id;
  return (
    <li aria-label={`Step ${name}`}>
      <div className="step-head">
        <h3>{name}</h3>
        <span className="muted">{step.type}</span>
        <StatusBadge status={step.status} />
        <span className="muted small">
          {step.attempts} {step.attempts === 1 ? "attempt" : "attempts"} · {duration(step.duration_ms)} · started{" "}
          {exactTime(step.started_at)}
        </span>
      </div>
      {step.error && (
        <p className="alert" role="note">
          <strong>{String(step.error.type ?? "Error")}</strong>: {String(step.error.message ?? "")}
          {step.error.retryable === false && " (retrying would not help)"}
        </p>
      )}
      {sent.map((d) => (
        <Sent key={d.id} delivery={d} node={node} />
      ))}
      {step.output !== null && step.output !== undefined && (
        <details>
          <summary>Output</summary>
          <pre className="json">{JSON.stringify(step.output, null, 2)}</pre>
        </details>
      )}
    </li>
  );
}

const CHANNELS: Record<string, string> = { email: "Email", sms: "SMS", http: "HTTP request" };

/** One message an action sent: channel, recipient, transport and receipt; the configured
 * message (its templates) when the run's version is at hand. */
function Sent({ delivery, node }: { delivery: Delivery; node?: NodeConfig }) {
  const config = node?.config ?? {};
  return (
    <div className="sent" aria-label={`Sent ${CHANNELS[delivery.channel] ?? delivery.channel}`}>
      <strong>
        {CHANNELS[delivery.channel] ?? delivery.channel} {delivery.status}
      </strong>
      <dl>
        <dt>To</dt>
        <dd>{delivery.recipient}</dd>
        <dt>Via</dt>
        <dd>{delivery.transport}</dd>
        {typeof config.subject === "string" && (
          <>
            <dt>Subject (template)</dt>
            <dd>{config.subject}</dd>
          </>
        )}
        {typeof config.body === "string" && (
          <>
            <dt>Text (template)</dt>
            <dd>
              <pre className="json">{config.body}</pre>
            </dd>
          </>
        )}
        {typeof config.url === "string" && (
          <>
            <dt>Request</dt>
            <dd>
              {String(config.method ?? "POST")} {config.url}
            </dd>
          </>
        )}
      </dl>
      {delivery.receipt && (
        <details>
          <summary>Receipt</summary>
          <pre className="json">{JSON.stringify(delivery.receipt, null, 2)}</pre>
        </details>
      )}
    </div>
  );
}
