import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../../api/client";

/** The latest events with their outcomes, refreshed every 2 s. */
export function useEvents() {
  return useQuery({
    queryKey: ["events"],
    queryFn: async () => unwrap(await api.GET("/v1/events", { params: { query: { limit: 50 } } })),
    refetchInterval: 2_000,
  });
}

export function useEventTypes() {
  return useQuery({
    queryKey: ["event-types"],
    queryFn: async () => unwrap(await api.GET("/v1/event-types")),
    staleTime: 60_000,
  });
}

/** Sample data for ``type`` from its catalog schema (none when the catalog has no entry). */
export async function sampleFor(type: string): Promise<unknown> {
  const answer = await api.GET("/v1/event-types/{event_type}/sample", {
    params: { path: { event_type: type } },
  });
  return answer.response.ok ? answer.data?.data : {};
}

export function useSendEvent() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (event: { type: string; entity?: string; data: Record<string, unknown> }) =>
      unwrap(await api.POST("/v1/events", { body: event })),
    onSettled: () => {
      void queries.invalidateQueries({ queryKey: ["events"] });
      void queries.invalidateQueries({ queryKey: ["runs"] });
    },
  });
}
