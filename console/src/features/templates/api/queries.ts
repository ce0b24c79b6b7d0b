import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../../api/client";

export function useTemplates() {
  return useQuery({
    queryKey: ["templates"],
    queryFn: async () => unwrap(await api.GET("/v1/templates")),
    staleTime: 60_000,
  });
}

export function useFromTemplate() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (body: { template_id: string; name?: string; overrides?: Record<string, unknown> }) =>
      unwrap(await api.POST("/v1/workflows/from-template", { body })),
    onSettled: () => {
      void queries.invalidateQueries({ queryKey: ["workflows"] });
      void queries.invalidateQueries({ queryKey: ["templates"] });
    },
  });
}
