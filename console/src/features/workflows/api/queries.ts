import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Graph, type Schemas, type Workflow } from "../../../api/client";

export type Lifecycle = "activate" | "pause" | "archive" | "duplicate";

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
    refetchInterval: 5_000,
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
          const path = { params: { path: { workflow_id: id } } };
          if (action === "duplicate") {
            unwrap(await api.POST("/v1/workflows/{workflow_id}/duplicate", { ...path, body: {} }));
          } else {
            unwrap(await api.POST(paths[action], path));
          }
        } catch (error) {
          failures.push({ id, error });
        }
      }
      if (failures.length) throw failures[0]!.error;
    },
    onSettled: () => queries.invalidateQueries({ queryKey: ["workflows"] }),
  });
}

/** The latest version's graph (or ``version``'s) with the last ``days`` days' visits and edge
 * counts. */
export function useGraph(id: string, days = 30, version?: number | null) {
  return useQuery({
    queryKey: ["graph", id, days, version ?? "latest"],
    enabled: version !== null,
    queryFn: async () => {
      const from = new Date(Date.now() - days * DAY).toISOString();
      const answer = await api.GET("/v1/workflows/{workflow_id}/graph", {
        params: { path: { workflow_id: id }, query: { from, format: "json", version: version ?? undefined } },
        parseAs: "json",
      });
      return unwrap(answer) as unknown as Graph;
    },
    refetchInterval: 5_000,
  });
}

export function useWorkflowStats(id: string, days = 30) {
  return useQuery({
    queryKey: ["workflow-stats", id, days],
    queryFn: async () => {
      const from = new Date(Date.now() - days * DAY).toISOString();
      return unwrap(
        await api.GET("/v1/workflows/{workflow_id}/stats", {
          params: { path: { workflow_id: id }, query: { from } },
        }),
      );
    },
    refetchInterval: 5_000,
  });
}

export function useWorkflowRuns(id: string) {
  return useQuery({
    queryKey: ["runs", "of", id],
    queryFn: async () =>
      unwrap(
        await api.GET("/v1/workflows/{workflow_id}/runs", {
          params: { path: { workflow_id: id }, query: { limit: 50 } },
        }),
      ),
    refetchInterval: 2_000,
  });
}

export function useVersions(id: string) {
  return useQuery({
    queryKey: ["workflows", id, "versions"],
    queryFn: async () =>
      unwrap(
        await api.GET("/v1/workflows/{workflow_id}/versions", {
          params: { path: { workflow_id: id } },
        }),
      ),
  });
}

export function useDiff(id: string, from: number | null, to: number | null) {
  return useQuery({
    queryKey: ["workflows", id, "diff", from, to],
    enabled: from !== null && to !== null && from !== to,
    queryFn: async () =>
      unwrap(
        await api.GET("/v1/workflows/{workflow_id}/diff", {
          params: { path: { workflow_id: id }, query: { from: from!, to: to! } },
        }),
      ),
  });
}

export function useRollback(id: string) {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (version: number) =>
      unwrap(
        await api.POST("/v1/workflows/{workflow_id}/rollback", {
          params: { path: { workflow_id: id } },
          body: { version },
        }),
      ),
    onSettled: () => {
      void queries.invalidateQueries({ queryKey: ["workflows"] });
      void queries.invalidateQueries({ queryKey: ["graph", id] });
      setTimeout(() => void queries.invalidateQueries({ queryKey: ["workflows", id, "versions"] }));
    },
  });
}

export function useDuplicate() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) =>
      unwrap(
        await api.POST("/v1/workflows/{workflow_id}/duplicate", {
          params: { path: { workflow_id: id } },
          body: {},
        }),
      ),
    onSettled: () => queries.invalidateQueries({ queryKey: ["workflows"] }),
  });
}

/** Imports a JSON or YAML document (by the file's extension) as a new draft. */
export function useImport() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (file: File) => {
      const yaml = /\.ya?ml$/i.test(file.name) || /yaml/.test(file.type);
      const text = await file.text();
      return unwrap(
        await api.POST("/v1/workflows/import", {
          // The route reads the raw body: JSON, or YAML sent as application/yaml.
          body: text as never,
          bodySerializer: (body: unknown) => body as string,
          headers: { "Content-Type": yaml ? "application/yaml" : "application/json" },
        }),
      );
    },
    onSettled: () => queries.invalidateQueries({ queryKey: ["workflows"] }),
  });
}

/** Each workflow's runs per day over the last 7 days (whole local days ending today). */
export function useWeekTrends() {
  return useQuery({
    queryKey: ["trends", 7],
    queryFn: async () => {
      const end = new Date();
      end.setHours(24, 0, 0, 0);
      const from = new Date(end.getTime() - 7 * DAY).toISOString();
      const series = unwrap(
        await api.GET("/v1/stats/series", {
          params: { query: { from, to: end.toISOString(), buckets: 7, per_workflow: true } },
        }),
      );
      return series.per_workflow ?? {};
    },
    refetchInterval: 10_000,
  });
}

export type MigrationRequest = Schemas["MigrationIn"];

/** ``POST …/migrations``: a dry run answers each run's move; apply answers the migration. */
export function useMigrate(id: string) {
  const queries = useQueryClient();
  return useMutation({
    onSuccess: () => void queries.invalidateQueries({ queryKey: ["workflows", id, "migrations", "list"] }),
    mutationFn: async (body: MigrationRequest) =>
      unwrap(
        await api.POST("/v1/workflows/{workflow_id}/migrations", {
          params: { path: { workflow_id: id } },
          body,
        }),
      ),
  });
}

/** An applied migration's progress, followed every second until it is done. */
export function useMigration(id: string, migrationId: string | null) {
  return useQuery({
    queryKey: ["workflows", id, "migrations", migrationId],
    enabled: migrationId !== null,
    refetchInterval: (query) => (query.state.data?.status === "done" ? false : 1000),
    queryFn: async () =>
      unwrap(
        await api.GET("/v1/workflows/{workflow_id}/migrations/{migration_id}", {
          params: { path: { workflow_id: id, migration_id: migrationId! } },
        }),
      ),
  });
}

/** The workflow's applied migrations, newest first (the latest 50), with their progress:
 * followed every two seconds while one is still moving runs. */
export function useMigrations(id: string) {
  return useQuery({
    queryKey: ["workflows", id, "migrations", "list"],
    refetchInterval: (query) => (query.state.data?.some((m) => m.status !== "done") ? 2000 : false),
    queryFn: async () =>
      unwrap(
        await api.GET("/v1/workflows/{workflow_id}/migrations", {
          params: { path: { workflow_id: id }, query: { limit: 50 } },
        }),
      ).items,
  });
}
