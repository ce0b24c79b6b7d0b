import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Workflow } from "../../../api/client";

export type Lifecycle = "activate" | "pause" | "archive";

const DAY = 24 * 3600 * 1000;

/** Every workflow of the tenant (following the cursor), newest first. */
export function useWorkflows() {
  return useQuery({
    queryKey: ["workflows"],
    queryFn: async () => {
      const all: Workflow[] = [];
      let cursor: string | undefined;
      do {
        const page = unwrap(
          await api.GET("/v1/workflows", { params: { query: { limit: 200, cursor } } }),
        );
        all.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      return all;
    },
  });
}

export function useWorkflow(id: string) {
  return useQuery({
    queryKey: ["workflows", id],
    queryFn: async () =>
      unwrap(await api.GET("/v1/workflows/{workflow_id}", { params: { path: { workflow_id: id } } })),
  });
}

/** Per-workflow run figures over the last ``days`` days (all time when null). */
export function useStats(days: number | null) {
  return useQuery({
    queryKey: ["stats", days],
    queryFn: async () => {
      const from = new Date(days === null ? 0 : Date.now() - days * DAY).toISOString();
      return unwrap(await api.GET("/v1/stats", { params: { query: { from, top: 5 } } }));
    },
    refetchInterval: 10_000,
  });
}

export function useLifecycle() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async ({ ids, action }: { ids: string[]; action: Lifecycle }) => {
      const paths = {
        activate: "/v1/workflows/{workflow_id}/activate",
        pause: "/v1/workflows/{workflow_id}/pause",
        archive: "/v1/workflows/{workflow_id}/archive",
      } as const;
      // One by one, so a refusal names its workflow and the others still change.
      const failures: { id: string; error: unknown }[] = [];
      for (const id of ids) {
        try {
          unwrap(await api.POST(paths[action], { params: { path: { workflow_id: id } } }));
        } catch (error) {
          failures.push({ id, error });
        }
      }
      if (failures.length) throw failures[0]!.error;
    },
    onSettled: () => queries.invalidateQueries({ queryKey: ["workflows"] }),
  });
}
