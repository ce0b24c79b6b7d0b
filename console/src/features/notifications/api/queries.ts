import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../../api/client";

export function useNotifications(unreadOnly: boolean) {
  return useQuery({
    queryKey: ["notifications", unreadOnly],
    queryFn: async () =>
      unwrap(
        await api.GET("/v1/notifications", {
          params: { query: { limit: 100, unread: unreadOnly ? true : undefined } },
        }),
      ),
    refetchInterval: 5_000,
  });
}

export function useMarkRead() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async (id: number) =>
      unwrap(await api.POST("/v1/notifications/{id}/read", { params: { path: { id } } })),
    onSettled: () => queries.invalidateQueries({ queryKey: ["notifications"] }),
  });
}
