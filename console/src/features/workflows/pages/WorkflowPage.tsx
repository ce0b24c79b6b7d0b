import { useState } from "react";
import { Link, NavLink, Outlet, useNavigate, useOutletContext, useParams } from "react-router-dom";
import type { Workflow } from "../../../api/client";
import { useMay } from "../../../api/me";
import { Empty, Loading, ProblemAlert } from "../../../components/feedback";
import { duration, percent, StatusBadge, When } from "../../../components/format";
import { RunsTable } from "../../runs/components/RunsTable";
import { useDuplicate, useGraph, useLifecycle, useWorkflow, useWorkflowRuns, useWorkflowStats } from "../api/queries";
import { NodePanel } from "../components/NodePanel";
import { TriggerDetails } from "../components/TriggerDetails";
import { triggerWords } from "../components/triggerWords";
import { WorkflowGraph } from "../components/WorkflowGraph";

export function useCurrentWorkflow(): Workflow {
  return useOutletContext<Workflow>();
}

/** A workflow: its header and lifecycle, and tabs for its flow, runs and versions. */
export function WorkflowPage() {
  const { workflowId = "" } = useParams();
  const workflow = useWorkflow(workflowId);
  const lifecycle = useLifecycle();
  const duplicate = useDuplicate();
  const navigate = useNavigate();
  const may = useMay();

  if (workflow.isPending) return <Loading what="the workflow" />;
  if (workflow.error) return <ProblemAlert error={workflow.error} title="The workflow could not be loaded" />;
  const w = workflow.data;
  const act = (action: "activate" | "pause" | "archive") => lifecycle.mutate({ ids: [w.id], action });

  return (
    <section aria-labelledby="workflow-title">
      <header className="page-header">
        <div>
          <h1 id="workflow-title">{w.name}</h1>
          <p className="muted">
            <StatusBadge status={w.status} /> · {triggerWords(w.definition)} · version {w.version}
            {w.active_version !== null && w.active_version !== w.version && ` (active: ${w.active_version})`}
          </p>
          {w.description && <p>{w.description}</p>}
        </div>
        {may.edit_workflows && (
        <div className="actions">
          {w.status !== "archived" && (
            <Link className="button" to={`/workflows/${w.id}/builder`}>
              Edit in the builder
            </Link>
          )}
          {w.status !== "active" && w.status !== "archived" && (
            <button type="button" className="primary" onClick={() => act("activate")} disabled={lifecycle.isPending}>
              Activate
            </button>
          )}
          {w.status === "active" && (
            <button type="button" onClick={() => act("pause")} disabled={lifecycle.isPending}>
              Pause
            </button>
          )}
          {w.status !== "archived" && (
            <button type="button" onClick={() => act("archive")} disabled={lifecycle.isPending}>
              Archive
            </button>
          )}
          <button
            type="button"
            disabled={duplicate.isPending}
            onClick={() => duplicate.mutate(w.id, { onSuccess: (copy) => navigate(`/workflows/${copy.id}`) })}
          >
            Duplicate
          </button>
        </div>
        )}
      </header>
      <ProblemAlert error={lifecycle.error ?? duplicate.error} title="The workflow could not be changed" />
      <nav className="tabs" aria-label="Workflow">
        <NavLink end to={`/workflows/${w.id}`}>
          Flow
        </NavLink>
        <NavLink to={`/workflows/${w.id}/runs`}>Runs</NavLink>
        <NavLink to={`/workflows/${w.id}/analytics`}>Analytics</NavLink>
        <NavLink to={`/workflows/${w.id}/versions`}>Versions</NavLink>
      </nav>
      <Outlet context={w} />
    </section>
  );
}

/** The flow drawn from ``/graph`` with the last 30 days' figures; a node opens its details. */
export function WorkflowFlowTab() {
  const w = useCurrentWorkflow();
  const graph = useGraph(w.id);
  const stats = useWorkflowStats(w.id);
  const [selected, setSelected] = useState<string | null>(null);
  const figures = stats.data?.workflow;
  return (
    <>
      <dl className="figures" aria-label="Last 30 days">
        <div>
          <dt>Runs (30 days)</dt>
          <dd>{figures?.total ?? 0}</dd>
        </div>
        <div>
          <dt>Success rate</dt>
          <dd>{percent(figures?.success_rate)}</dd>
        </div>
        <div>
          <dt>Open now</dt>
          <dd>{figures?.open ?? 0}</dd>
        </div>
        <div>
          <dt>Average time</dt>
          <dd>{duration(figures?.average_seconds == null ? null : figures.average_seconds * 1000)}</dd>
        </div>
        <div>
          <dt>Last run</dt>
          <dd>
            <When at={figures?.last_executed} />
          </dd>
        </div>
      </dl>
      <ProblemAlert error={graph.error} title="The graph could not be loaded" />
      <div className="grid graph-grid">
        {graph.data ? (
          <WorkflowGraph
            graph={graph.data}
            label={`Flow of ${w.name}`}
            selected={selected}
            onSelect={setSelected}
          />
        ) : (
          <Loading what="the graph" />
        )}
        <NodePanel workflow={w} nodeId={selected} steps={stats.data?.steps ?? []} />
      </div>
      <TriggerDetails workflow={w} />
    </>
  );
}

export function WorkflowRunsTab() {
  const w = useCurrentWorkflow();
  const runs = useWorkflowRuns(w.id);
  if (runs.isPending) return <Loading what="runs" />;
  if (runs.error) return <ProblemAlert error={runs.error} title="The runs could not be loaded" />;
  if (!runs.data.items.length) {
    return (
      <Empty title="No runs yet">
        <p>
          {w.status === "active"
            ? "Runs appear here as soon as a matching event arrives."
            : "Activate the workflow: it starts runs only while it is active."}
        </p>
      </Empty>
    );
  }
  return <RunsTable runs={runs.data.items} caption={`Runs of ${w.name}`} />;
}
