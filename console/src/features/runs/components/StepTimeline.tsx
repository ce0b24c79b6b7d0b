import type { ReactNode } from "react";
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

const CHANNELS: Record<string, string> = { email: "Email", sms: "SMS", http: "HTTP request", slack: "Slack" };

/** One message an action sent: its channel, status and transport, and what was sent as it
 * went out — recipients, subject, text, an HTML preview, the SMS, the HTTP request — or, for a
 * delivery logged before messages were kept, the step's configured templates. */
function Sent({ delivery, node }: { delivery: Delivery; node?: NodeConfig }) {
  const channel = CHANNELS[delivery.channel] ?? delivery.channel;
  return (
    <div className="sent" aria-label={`Sent ${channel}`}>
      <strong>
        {channel} {delivery.status}
      </strong>
      <dl>
        {delivery.message ? (
          <Message message={delivery.message} />
        ) : (
          <Configured recipient={delivery.recipient} config={node?.config ?? {}} />
        )}
        <dt>Via</dt>
        <dd>{delivery.transport}</dd>
        {(delivery.sends ?? 0) > 1 && (
          <>
            {/* Sent again under the same key to a receiver that deduplicates (receiver_dedupes). */}
            <dt>Sent</dt>
            <dd>{delivery.sends} times, under the same Idempotency-Key</dd>
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

type SentMessage = Schemas["SentMessage"];

function Field({ term, children }: { term: string; children: ReactNode }) {
  return (
    <>
      <dt>{term}</dt>
      <dd>{children}</dd>
    </>
  );
}

function Message({ message: m }: { message: SentMessage }) {
  const body = typeof m.body === "string" ? m.body : m.body == null ? null : JSON.stringify(m.body, null, 2);
  return (
    <>
      {!!m.to?.length && <Field term="To">{m.to.join(", ")}</Field>}
      {!!m.cc?.length && <Field term="Cc">{m.cc.join(", ")}</Field>}
      {!!m.bcc?.length && <Field term="Bcc">{m.bcc.join(", ")}</Field>}
      {!!m.from && <Field term="From">{m.from}</Field>}
      {m.subject != null && <Field term="Subject">{m.subject}</Field>}
      {m.method && m.url && (
        <Field term="Request">
          {m.method} {m.url}
        </Field>
      )}
      {!!m.headers && Object.keys(m.headers).length > 0 && (
        <Field term="Headers">
          <pre className="json">
            {Object.entries(m.headers)
              .map(([k, v]) => `${k}: ${v}`)
              .join("\n")}
          </pre>
        </Field>
      )}
      {m.text != null && (
        <Field term="Text">
          <pre className="message-text">{m.text}</pre>
        </Field>
      )}
      {m.html != null && (
        <Field term="HTML">
          {/* Sandboxed: no script runs, no form submits, nothing reaches the console. */}
          <iframe className="html-preview" sandbox="" srcDoc={m.html} title="HTML of the email as sent" />
        </Field>
      )}
      {body != null && (
        <Field term={m.method ? "Body" : "Message"}>
          <pre className={m.method ? "json" : "message-text"}>{body}</pre>
        </Field>
      )}
      {m.payload && (
        <Field term="Message">
          <pre className="json">{JSON.stringify(m.payload, null, 2)}</pre>
        </Field>
      )}
    </>
  );
}

function Configured({ recipient, config }: { recipient: string; config: Record<string, unknown> }) {
  return (
    <>
      <Field term="To">{recipient}</Field>
      {typeof config.subject === "string" && <Field term="Subject (template)">{config.subject}</Field>}
      {typeof config.body === "string" && (
        <Field term="Text (template)">
          <pre className="json">{config.body}</pre>
        </Field>
      )}
      {typeof config.url === "string" && (
        <Field term="Request">
          {String(config.method ?? "POST")} {config.url}
        </Field>
      )}
    </>
  );
}
