import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../../api/client";

const DAY = 86_400_000;

/** The period for a picker value: whole local days ending with today (whole hours ending with
 * this one for the last 24 hours), so each chart bucket is a day (an hour) people recognise. */
function bounds(days: number) {
  const end = new Date();
  if (days === 1) end.setHours(end.getHours() + 1, 0, 0, 0);
  else end.setHours(24, 0, 0, 0);
  return { from: new Date(end.getTime() - days * DAY).toISOString(), to: end.toISOString() };
}

/** One bucket per day (per hour for a single day). */
function buckets(days: number) {
  return days === 1 ? 24 : days;
}

export function useSeries(days: number, workflowId?: string) {
  return useQuery({
    queryKey: ["series", workflowId ?? "all", days],
    queryFn: async () => {
      const query = { ...bounds(days), buckets: buckets(days) };
      if (workflowId) {
        return unwrap(
          await api.GET("/v1/workflows/{workflow_id}/series", {
            params: { path: { workflow_id: workflowId }, query },
          }),
        );
      }
      return unwrap(await api.GET("/v1/stats/series", { params: { query } }));
    },
    refetchInterval: 10_000,
  });
}

export function useWorkflowAnalytics(workflowId: string, days: number) {
  return useQuery({
    queryKey: ["analytics", workflowId, days],
    queryFn: async () =>
      unwrap(
        await api.GET("/v1/workflows/{workflow_id}/analytics", {
          params: { path: { workflow_id: workflowId }, query: bounds(days) },
        }),
      ),
    refetchInterval: 10_000,
  });
}

export function useTenantStats(days: number) {
  return useQuery({
    queryKey: ["stats", "period", days],
    queryFn: async () => unwrap(await api.GET("/v1/stats", { params: { query: { ...bounds(days), top: 5 } } })),
    refetchInterval: 10_000,
  });
}
