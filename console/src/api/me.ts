import { useQuery } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "./client";

export type Me = Schemas["MeOut"];
export type Permissions = Schemas["Permissions"];

const NOTHING: Permissions = {
  edit_workflows: false,
  control_runs: false,
  send_events: false,
  administer: false,
  see_customer_data: false,
};

/** Who the signed-in key is: its tenant, name and role (``GET /v1/me``). */
export function useMe() {
  return useQuery({
    queryKey: ["me"],
    queryFn: async () => unwrap(await api.GET("/v1/me")),
    staleTime: 5 * 60_000,
  });
}

/** What the key's role may do. Until the answer is in, nothing: a button the key may not use
 * never flashes up (the API refuses it anyway). */
export function useMay(): Permissions {
  return useMe().data?.may ?? NOTHING;
}
