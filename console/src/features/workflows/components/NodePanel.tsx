import type { Schemas, Workflow } from "../../../api/client";
import { percent, When } from "../../../components/format";
import { triggerWords } from "./triggerWords";

type StepStats = Schemas["StepStats"];

/** The selected node: its configuration as the definition states it, and its step figures. */
export function NodePanel({
  workflow,
  nodeId,
  steps,
}: {
  workflow: Workflow;
  nodeId: string | null;
  steps: StepStats[];
}) {
  if (!nodeId) {
    return (
      <aside className="card" aria-label="Node details">
        <h2>Node details</h2>
        <p className="muted">Select a node in the graph to see its configuration and figures.</p>
      </aside>
    );
  }
  const nodes = (workflow.definition.nodes ?? []) as { id: string; type: string }[];
  const node = nodeId === "trigger" ? workflow.definition.trigger : nodes.find((n) => n.id === nodeId);
  const figures = steps.find((s) => s.node_id === nodeId);
  return (
    <aside className="card" aria-label="Node details">
      <h2>{nodeId === "trigger" ? "Trigger" : nodeId}</h2>
      {nodeId === "trigger" && <p>{triggerWords(workflow.definition)}</p>}
      {figures && (
        <dl className="figures">
          <div>
            <dt>Executed</dt>
            <dd>{figures.total}</dd>
          </div>
          <div>
            <dt>Succeeded</dt>
            <dd>{figures.succeeded}</dd>
          </div>
          <div>
            <dt>Failed</dt>
            <dd>{figures.failed}</dd>
          </div>
          <div>
            <dt>Success rate</dt>
            <dd>{percent(figures.success_rate)}</dd>
          </div>
          <div>
            <dt>Last executed</dt>
            <dd>
              <When at={figures.last_executed} />
            </dd>
          </div>
        </dl>
      )}
      <h3>Configuration</h3>
      <pre className="json">{JSON.stringify(node ?? null, null, 2)}</pre>
    </aside>
  );
}
