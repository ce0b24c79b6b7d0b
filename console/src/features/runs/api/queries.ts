import { keepPreviousData, useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Run } from "../../../api/client";

export const OPEN = new Set(["running", "waiting"]);
export const RUN_STATUSES = [
  "running",
  "waiting",
  "completed",
  "goal_reached",
  "failed",
  "cancelled",
  "skipped",
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

export interface RunFilters {
  workflow_id?: string;
  status?: RunStatus;
  entity?: string;
  /** Started within the last this many days. */
  days?: number;
  /** Only runs that had a step fail (even when they went on past it and completed). */
  has_failed_steps?: boolean;
}

/** Runs across workflows, newest first, a page at a time (cursor pagination as you scroll);
 * refreshed every 2 s so new runs and status changes appear by themselves. */
export function useRuns(filters: RunFilters) {
  return useInfiniteQuery({
    queryKey: ["runs", filters],
    initialPageParam: undefined as string | undefined,
    queryFn: async ({ pageParam }) => {
      const { days, ...rest } = cleaned(filters);
      const from = days ? new Date(Date.now() - days * 86_400_000).toISOString() : undefined;
      return unwrap(
        await api.GET("/v1/runs", {
          params: { query: { ...rest, from, limit: 50, cursor: pageParam } },
        }),
      );
    },
    getNextPageParam: (page) => page.next_cursor ?? undefined,
    placeholderData: keepPreviousData,
    refetchInterval: 2_000,
  });
}

function cleaned(filters: RunFilters): RunFilters {
  return Object.fromEntries(Object.entries(filters).filter(([, v]) => v)) as RunFilters;
}

/** One run with its steps; polled twice a second while it is open, so a step's change shows
 * within a second. */
export function useRun(id: string) {
  return useQuery({
    queryKey: ["run", id],
    queryFn: async () =>
      unwrap(await api.GET("/v1/runs/{run_id}", { params: { path: { run_id: id } } })),
    refetchInterval: (query) => (query.state.data && !OPEN.has(query.state.data.status) ? false : 500),
  });
}

/** What the run's actions sent (the outbound message log). */
export function useDeliveries(runId: string, live: boolean) {
  return useQuery({
    queryKey: ["deliveries", runId],
    queryFn: async () =>
      unwrap(await api.GET("/v1/deliveries", { params: { query: { run_id: runId, limit: 200 } } })),
    refetchInterval: live ? 1_000 : false,
  });
}

export function useRunControl(run: Run) {
  const queries = useQueryClient();
  const refresh = () => {
    void queries.invalidateQueries({ queryKey: ["run", run.id] });
    void queries.invalidateQueries({ queryKey: ["runs"] });
  };
  const cancel = useMutation({
    mutationFn: async () =>
      unwrap(await api.POST("/v1/runs/{run_id}/cancel", { params: { path: { run_id: run.id } } })),
    onSettled: refresh,
  });
  const retry = useMutation({
    mutationFn: async () =>
      unwrap(await api.POST("/v1/runs/{run_id}/retry", { params: { path: { run_id: run.id } } })),
    onSettled: refresh,
  });
  return { cancel, retry };
}
