import { useEffect, useMemo, useRef, useState } from "react";
import { useSearchParams } from "react-router-dom";
import { Empty, Loading, ProblemAlert } from "../../../components/feedback";
import { useWorkflows } from "../../workflows/api/queries";
import { RUN_STATUSES, useRuns, type RunFilters, type RunStatus } from "../api/queries";
import { RunsTable } from "../components/RunsTable";

const PERIODS = { "": "any time", "1": "last 24 hours", "7": "last 7 days", "30": "last 30 days" } as const;

/** Runs across workflows, filtered by workflow, status, entity, failed steps and time (kept in the URL, so a
 * filtered list can be shared), a page at a time. */
export function RunsPage() {
  const [params, setParams] = useSearchParams();
  const workflows = useWorkflows();
  const [entity, setEntity] = useState(params.get("entity") ?? "");
  const days = params.get("days") ?? "";
  const filters: RunFilters = useMemo(
    () => ({
      workflow_id: params.get("workflow") ?? undefined,
      status: (params.get("status") as RunStatus | null) ?? undefined,
      entity: params.get("entity") ?? undefined,
      days: days ? Number(days) : undefined,
      has_failed_steps: params.get("failed_steps") === "1" || undefined,
    }),
    [params, days],
  );
  const runs = useRuns(filters);
  const names = useMemo(() => new Map((workflows.data ?? []).map((w) => [w.id, w.name])), [workflows.data]);
  const set = (name: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(name, value);
    else next.delete(name);
    setParams(next, { replace: true });
  };
  const items = runs.data?.pages.flatMap((p) => p.items) ?? [];
  // The next page loads as the end of the list scrolls into view (the button does it too).
  const more = useRef<HTMLButtonElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = runs;
  useEffect(() => {
    const button = more.current;
    if (!button || !hasNextPage) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
    });
    observer.observe(button);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);

  return (
    <section aria-labelledby="runs-title">
      <header className="page-header">
        <h1 id="runs-title">Runs</h1>
      </header>
      <form
        className="toolbar"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          set("entity", entity.trim());
        }}
      >
        <label>
          Workflow
          <select value={filters.workflow_id ?? ""} onChange={(e) => set("workflow", e.target.value)}>
            <option value="">any</option>
            {(workflows.data ?? []).map((w) => (
              <option key={w.id} value={w.id}>
                {w.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select value={filters.status ?? ""} onChange={(e) => set("status", e.target.value)}>
            <option value="">any</option>
            {RUN_STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace("_", " ")}
              </option>
            ))}
          </select>
        </label>
        <label>
          Started
          <select value={days} onChange={(e) => set("days", e.target.value)}>
            {Object.entries(PERIODS).map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Entity
          <input type="search" value={entity} onChange={(e) => setEntity(e.target.value)} onBlur={() => set("entity", entity.trim())} />
        </label>
        <label className="inline">
          <input
            type="checkbox"
            checked={!!filters.has_failed_steps}
            onChange={(e) => set("failed_steps", e.target.checked ? "1" : "")}
          />{" "}
          With failed steps
        </label>
      </form>
      <ProblemAlert error={runs.error} title="The runs could not be loaded" />
      {runs.isPending ? (
        <Loading what="runs" />
      ) : items.length === 0 ? (
        <Empty title="No runs match">
          <p>Runs appear here when an event, a schedule or a manual start triggers an active workflow.</p>
        </Empty>
      ) : (
        <>
          <RunsTable runs={items} names={names} caption="Runs" />
          {runs.hasNextPage && (
            <button
              ref={more}
              type="button"
              className="load-more"
              disabled={runs.isFetchingNextPage}
              onClick={() => void runs.fetchNextPage()}
            >
              {runs.isFetchingNextPage ? "Loading…" : "Load more runs"}
            </button>
          )}
        </>
      )}
    </section>
  );
}
