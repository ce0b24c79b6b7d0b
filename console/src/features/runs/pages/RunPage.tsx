import { useMemo } from "react";
import { Link, useNavigate, useParams } from "react-router-dom";
import type { Run } from "../../../api/client";
import { useMay } from "../../../api/me";
import { Loading, ProblemAlert } from "../../../components/feedback";
import { duration, exactTime, StatusBadge, When } from "../../../components/format";
import { useGraph, useWorkflow } from "../../workflows/api/queries";
import { WorkflowGraph } from "../../workflows/components/WorkflowGraph";
import { OPEN, useDeliveries, useRun, useRunControl } from "../api/queries";
import { StepTimeline } from "../components/StepTimeline";

/** The run's execution in the Temporal web UI: the dev server's (``make dev``: port 8233 on the
 * same host) unless ``relay.temporalUi`` in the browser's storage names another. */
function temporalUi(runId: string): string {
  const base = window.localStorage.getItem("relay.temporalUi") ?? `${window.location.protocol}//${window.location.hostname}:8233`;
  return `${base}/namespaces/default/workflows/${encodeURIComponent(runId)}`;
}

/** One run, live: its steps as they happen, what its actions sent, its path on the graph. */
export function RunPage() {
  const { runId = "" } = useParams();
  const run = useRun(runId);
  if (run.isPending) return <Loading what="the run" />;
  if (run.error) return <ProblemAlert error={run.error} title="The run could not be loaded" />;
  return <RunView run={run.data} />;
}

function RunView({ run }: { run: Run }) {
  const workflow = useWorkflow(run.workflow_id);
  const graph = useGraph(run.workflow_id);
  const open = OPEN.has(run.status);
  const deliveries = useDeliveries(run.id, open);
  const { cancel, retry } = useRunControl(run);
  const navigate = useNavigate();
  const may = useMay();
  const path = useMemo(() => new Set(["trigger", ...(run.steps ?? []).map((s) => s.node_id)]), [run.steps]);
  const definition = workflow.data?.version === run.version ? workflow.data.definition : undefined;

  return (
    <section aria-labelledby="run-title">
      <header className="page-header">
        <div>
          <h1 id="run-title">
            Run <code>{run.id}</code>
          </h1>
          <p className="muted">
            <StatusBadge status={run.status} /> ·{" "}
            <Link to={`/workflows/${run.workflow_id}`}>{workflow.data?.name ?? run.workflow_id}</Link> v{run.version}
            {run.entity && <> · entity {run.entity}</>}
            {run.retry_of && (
              <>
                {" "}
                · retry of <Link to={`/runs/${run.retry_of}`}>{run.retry_of}</Link>
              </>
            )}
          </p>
        </div>
        <div className="actions">
          <a href={temporalUi(run.id)} target="_blank" rel="noreferrer" className="button">
            Open in the Temporal UI
          </a>
          {!may.control_runs ? null : open ? (
            <button type="button" className="danger" disabled={cancel.isPending} onClick={() => cancel.mutate()}>
              {cancel.isPending ? "Cancelling…" : "Cancel run"}
            </button>
          ) : (
            <button
              type="button"
              disabled={retry.isPending}
              onClick={() => retry.mutate(undefined, { onSuccess: (started) => navigate(`/runs/${started.id}`) })}
            >
              Retry run
            </button>
          )}
        </div>
      </header>
      <ProblemAlert error={cancel.error ?? retry.error} title="The run could not be changed" />
      <dl className="figures">
        <div>
          <dt>Started</dt>
          <dd>
            <When at={run.started_at} />
          </dd>
        </div>
        <div>
          <dt>Ended</dt>
          <dd>{run.completed_at ? exactTime(run.completed_at) : "not yet"}</dd>
        </div>
        <div>
          <dt>Duration</dt>
          <dd>{duration(run.duration_ms)}</dd>
        </div>
        {run.goal && (
          <div>
            <dt>Goal</dt>
            <dd>{run.goal}</dd>
          </div>
        )}
        {run.variant && (
          <div>
            <dt>Variant</dt>
            <dd>{run.variant}</dd>
          </div>
        )}
      </dl>
      {run.versions && run.versions.length > 0 && (
        <section aria-labelledby="run-versions">
          <h2 id="run-versions">Versions</h2>
          <ul aria-label="Version history">
            {run.versions.map((move) => (
              <li key={`${move.migration_id}-${move.to_version}`}>
                {move.summary} · <When at={move.at} />
              </li>
            ))}
          </ul>
        </section>
      )}
      {run.error && (
        <div role="alert" className="alert">
          <strong>The run failed</strong>
          <p>{String(run.error.message ?? JSON.stringify(run.error))}</p>
        </div>
      )}
      <div className="grid run-grid">
        <div>
          <h2>Steps</h2>
          <StepTimeline run={run} deliveries={deliveries.data?.items ?? []} definition={definition} />
        </div>
        <div>
          <h2>Path</h2>
          {graph.data ? (
            <WorkflowGraph graph={graph.data} path={path} label="Path of this run" />
          ) : (
            <Loading what="the graph" />
          )}
          <h2>Trigger</h2>
          <pre className="json" aria-label="Trigger event">
            {JSON.stringify(run.trigger, null, 2)}
          </pre>
        </div>
      </div>
    </section>
  );
}
