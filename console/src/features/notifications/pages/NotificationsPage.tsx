import { useState } from "react";
import { Link } from "react-router-dom";
import { useMay } from "../../../api/me";
import { Empty, Loading, ProblemAlert } from "../../../components/feedback";
import { When } from "../../../components/format";
import { useMarkRead, useNotifications } from "../api/queries";

/** The in-app notifications and alerts that runs' ``notify`` steps stored; mark them read. */
export function NotificationsPage() {
  const [unreadOnly, setUnreadOnly] = useState(true);
  const notifications = useNotifications(unreadOnly);
  const markRead = useMarkRead();
  const may = useMay();
  return (
    <section aria-labelledby="notifications-title">
      <header className="page-header">
        <h1 id="notifications-title">Notifications</h1>
        <div className="actions">
          <label className="inline">
            <input type="checkbox" checked={unreadOnly} onChange={(e) => setUnreadOnly(e.target.checked)} /> Unread only
          </label>
        </div>
      </header>
      <ProblemAlert error={notifications.error ?? markRead.error} title="The notifications could not be loaded" />
      {notifications.isPending ? (
        <Loading what="notifications" />
      ) : !notifications.data?.items.length ? (
        <Empty title={unreadOnly ? "Nothing unread" : "No notifications yet"}>
          <p>Workflows with a notify step, and Relay's alerts, leave their messages here.</p>
        </Empty>
      ) : (
        <ul className="timeline" aria-label="Notifications">
          {notifications.data.items.map((n) => (
            <li key={n.id} aria-label={n.message} className={n.read ? "read" : undefined}>
              <div className="step-head">
                <strong>{n.message}</strong>
                {n.kind && <span className="badge">{n.kind}</span>}
                <span className="muted small">
                  for {n.recipient} · <When at={n.created_at} />
                </span>
              </div>
              <div className="bulk">
                {n.run_id && <Link to={`/runs/${n.run_id}`}>Open the run</Link>}
                {n.link && <a href={n.link}>{n.link}</a>}
                {n.read ? (
                  <span className="muted small">read</span>
                ) : (
                  may.control_runs && <button type="button" onClick={() => markRead.mutate(n.id)} disabled={markRead.isPending}>
                    Mark as read
                  </button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
