import { useMemo, useState, type FormEvent } from "react";
import { Link } from "react-router-dom";
import { useMay } from "../../../api/me";
import { Empty, Loading, ProblemAlert } from "../../../components/feedback";
import { StatusBadge, When } from "../../../components/format";
import { useWorkflows } from "../../workflows/api/queries";
import { sampleFor, useEventTypes, useEvents, useSendEvent } from "../api/queries";

/** Recent events and what each did to every workflow listening to its type; a form to send a
 * test event, its data prefilled from the event type's schema. */
export function EventsPage() {
  const events = useEvents();
  const workflows = useWorkflows();
  const names = useMemo(() => new Map((workflows.data ?? []).map((w) => [w.id, w.name])), [workflows.data]);
  const may = useMay();
  return (
    <section aria-labelledby="events-title">
      <header className="page-header">
        <h1 id="events-title">Events</h1>
      </header>
      {may.send_events && <SendEventForm listened={(workflows.data ?? []).map((w) => String((w.definition.trigger as { event?: string } | undefined)?.event ?? ""))} names={names} />}
      <h2>Recent events</h2>
      <ProblemAlert error={events.error} title="The events could not be loaded" />
      {events.isPending ? (
        <Loading what="events" />
      ) : !events.data?.items.length ? (
        <Empty title="No events yet">
          <p>
            {may.send_events ? "Send one with the form above, or " : "Your application sends them with "}
            <code>POST /v1/events</code>.
          </p>
        </Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Recent events</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Entity</th>
                <th scope="col">Received</th>
                <th scope="col">What the workflows did</th>
              </tr>
            </thead>
            <tbody>
              {events.data.items.map((e) => (
                <tr key={e.id}>
                  <th scope="row">
                    {e.type}
                    <div className="muted small">
                      <code>{e.id}</code>
                    </div>
                  </th>
                  <td>{e.entity ?? <span className="muted">—</span>}</td>
                  <td>
                    <When at={e.received_at} />
                  </td>
                  <td>
                    {e.outcomes.length === 0 ? (
                      <span className="muted">no active workflow listens to {e.type}</span>
                    ) : (
                      <ul className="outcomes">
                        {e.outcomes.map((o) => (
                          <li key={o.workflow_id}>
                            <Link to={`/workflows/${o.workflow_id}`}>{names.get(o.workflow_id) ?? o.workflow_id}</Link>{" "}
                            <StatusBadge status={o.outcome} />
                            {o.run_id && (
                              <>
                                {" "}
                                <Link to={`/runs/${o.run_id}`} aria-label={`run ${o.run_id}`}>
                                  open run
                                </Link>
                              </>
                            )}
                            {o.detail && <span className="muted small"> {o.detail}</span>}
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function SendEventForm({ listened, names }: { listened: string[]; names: Map<string, string> }) {
  const types = useEventTypes();
  const send = useSendEvent();
  const [type, setType] = useState("");
  const [entity, setEntity] = useState("");
  const [data, setData] = useState("{}");
  const [invalid, setInvalid] = useState<string | null>(null);
  const suggestions = useMemo(
    () => [...new Set([...listened.filter(Boolean), ...(types.data ?? []).map((t) => String(t.type))])].sort(),
    [listened, types.data],
  );

  async function prefill(chosen: string) {
    setType(chosen);
    if (!suggestions.includes(chosen)) return;
    setData(JSON.stringify(await sampleFor(chosen), null, 2));
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch (error) {
      setInvalid(`The data is not valid JSON: ${(error as Error).message}`);
      return;
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      setInvalid("The data is a JSON object, such as {\"email\": \"ann@example.com\"}.");
      return;
    }
    setInvalid(null);
    send.mutate({ type: type.trim(), entity: entity.trim() || undefined, data: parsed as Record<string, unknown> });
  }

  const accepted = send.data && !Array.isArray(send.data) ? send.data : undefined;
  return (
    <form className="card send-event" onSubmit={submit} aria-labelledby="send-title">
      <h2 id="send-title">Send a test event</h2>
      <div className="toolbar">
        <label>
          Event type
          <input list="event-types" required value={type} onChange={(e) => void prefill(e.target.value)} />
          <datalist id="event-types">
            {suggestions.map((t) => (
              <option key={t} value={t} />
            ))}
          </datalist>
        </label>
        <label>
          Entity (optional)
          <input value={entity} onChange={(e) => setEntity(e.target.value)} />
        </label>
      </div>
      <label>
        Data (JSON)
        <textarea rows={8} spellCheck={false} value={data} onChange={(e) => setData(e.target.value)} />
      </label>
      {invalid && (
        <p role="alert" className="alert">
          {invalid}
        </p>
      )}
      <ProblemAlert error={send.error} title="The event was refused" />
      <div className="bulk">
        <button type="submit" className="primary" disabled={send.isPending || !type.trim()}>
          Send event
        </button>
        {accepted && (
          <span role="status">
            Event <code>{accepted.event_id}</code> accepted:{" "}
            {accepted.runs.length === 0
              ? "no run started."
              : accepted.runs.map((r, i) => (
                  <span key={r.id}>
                    {i > 0 && ", "}
                    <Link to={`/runs/${r.id}`}>{names.get(r.workflow_id) ?? r.workflow_id} run</Link> ({r.status})
                  </span>
                ))}
          </span>
        )}
      </div>
    </form>
  );
}
