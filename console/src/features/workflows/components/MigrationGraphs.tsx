import type { Schemas } from "../../../api/client";
import { Loading, ProblemAlert } from "../../../components/feedback";
import { useGraph } from "../api/queries";
import { WorkflowGraph, type NodeBadge } from "./WorkflowGraph";

type DryRun = Schemas["DryRunOut"];
type Planned = Schemas["PlannedRunOut"];

const runs = (n: number) => `${n} run${n === 1 ? "" : "s"}`;

/** The version most of the previewed runs are on (the one asked for, unless "every older"). */
export function oldVersion(dry: DryRun): number | null {
  if (dry.from_version !== "all_older") return dry.from_version;
  const count = new Map<number, number>();
  dry.runs.forEach((r) => count.set(r.version, (count.get(r.version) ?? 0) + 1));
  let best: number | null = null;
  count.forEach((n, version) => {
    if (best === null || n > (count.get(best) ?? 0) || (n === count.get(best) && version > best)) best = version;
  });
  return best;
}

/** Per node of the old version: how many runs are there now, and how many of them cannot move. */
export function nowBadges(planned: Planned[]): Map<string, NodeBadge> {
  const here = new Map<string, { all: number; stuck: number }>();
  planned.forEach((r) => {
    if (!r.node_id) return;
    const seen = here.get(r.node_id) ?? { all: 0, stuck: 0 };
    here.set(r.node_id, { all: seen.all + 1, stuck: seen.stuck + (r.cannot_move ? 1 : 0) });
  });
  return new Map(
    [...here].map(([node, { all, stuck }]) => [
      node,
      { text: `${runs(all)} now${stuck ? ` · ${stuck} cannot move` : ""}`, warn: stuck > 0 },
    ]),
  );
}

/** Per node of the new version: how many runs would continue there. */
export function continueBadges(planned: Planned[]): Map<string, NodeBadge> {
  const there = new Map<string, number>();
  planned.forEach((r) => {
    if (!r.cannot_move && r.continues_at) there.set(r.continues_at, (there.get(r.continues_at) ?? 0) + 1);
  });
  return new Map([...there].map(([node, n]) => [node, { text: `${runs(n)} ${n === 1 ? "continues" : "continue"} here` }]));
}

/** The dry run drawn: the old version's graph with where its runs are now, beside the new
 * version's with where they would continue. */
export function MigrationGraphs({ workflowId, dry }: { workflowId: string; dry: DryRun }) {
  const from = oldVersion(dry);
  const before = useGraph(workflowId, 30, from);
  const after = useGraph(workflowId, 30, dry.to_version);
  const shown = dry.runs.filter((r) => r.version === from);
  const elsewhere = [...new Set(dry.runs.filter((r) => r.version !== from).map((r) => `v${r.version}`))];
  const figure = (title: string, graph: typeof before, badges: Map<string, NodeBadge>) => (
    <figure>
      <figcaption>{title}</figcaption>
      {graph.data ? <WorkflowGraph graph={graph.data} badges={badges} label={title} /> : <Loading what="the graph" />}
      <ProblemAlert error={graph.error} title="The graph could not be loaded" />
    </figure>
  );

  return (
    <>
      <div className="grid migration-graphs">
        {from !== null && figure(`Where the runs are now (v${from})`, before, nowBadges(shown))}
        {figure(`Where they would continue (v${dry.to_version})`, after, continueBadges(dry.runs))}
      </div>
      {elsewhere.length > 0 && (
        <p className="muted">
          {runs(dry.runs.length - shown.length)} on {elsewhere.join(", ")} are in the table below, not on the first graph.
        </p>
      )}
    </>
  );
}
