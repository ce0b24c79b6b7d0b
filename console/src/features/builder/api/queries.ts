import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, unwrap, type Schemas } from "../../../api/client";
import type { Doc } from "../model";

export type NodeTypeInfo = Schemas["NodeTypeOut"];
export type NodeTypes = Schemas["NodeTypesOut"];
export type Validation = Schemas["ValidationOut"];
export type Simulation = Schemas["SimulationOut"];

/** The node types as the API declares them (palette, edge labels, forms). */
export function useNodeTypes() {
  return useQuery({
    queryKey: ["node-types"],
    queryFn: async () => unwrap(await api.GET("/v1/node-types")),
    staleTime: Infinity,
  });
}

export function useEventTypes() {
  return useQuery({
    queryKey: ["event-types"],
    queryFn: async () => unwrap(await api.GET("/v1/event-types")) as EventTypeEntry[],
    staleTime: 60_000,
  });
}

/** A field of an event type's schema, as far as the builder reads it. */
export type FieldSchema = { type?: string | string[]; format?: string; properties?: Record<string, FieldSchema> };

export type EventTypeEntry = {
  type: string;
  description?: string;
  schema?: { properties?: Record<string, FieldSchema> };
  derived?: Record<string, string>;
  /** The kind of value each derived field gives (text, number, bool, instant…). */
  derived_kinds?: Record<string, string>;
  roles?: Record<string, string>;
};

/** The server's validation of the draft, ``delay`` ms after it last changed; and whether the
 * answer is about the draft as it is now. */
export function useValidation(doc: Doc, delay = 400) {
  const [settled, setSettled] = useState(doc);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(doc), delay);
    return () => clearTimeout(timer);
  }, [doc, delay]);
  const query = useQuery({
    queryKey: ["validate", settled],
    queryFn: async () => validate(settled),
    placeholderData: (previous) => previous,
  });
  return { query, current: settled === doc && !query.isPlaceholderData };
}

export async function validate(doc: unknown, canonical = false): Promise<Validation> {
  return unwrap(
    await api.POST("/v1/workflows/validate", {
      params: { query: { canonical } },
      body: doc as Record<string, never>,
    }),
  );
}

/** Save: a new workflow (draft), or a new version of the one being edited; with the author's
 * message for the version list (none when left empty). */
export function useSave() {
  const queries = useQueryClient();
  return useMutation({
    mutationFn: async ({ id, doc, message }: { id: string | null; doc: Doc; message: string }) => {
      const query = message.trim() ? { message: message.trim() } : {};
      return id
        ? unwrap(await api.PUT("/v1/workflows/{workflow_id}", { params: { path: { workflow_id: id }, query }, body: doc }))
        : unwrap(await api.POST("/v1/workflows", { params: { query }, body: doc }));
    },
    onSettled: () => queries.invalidateQueries({ queryKey: ["workflows"] }),
  });
}

/** The document of the latest version exactly as it was submitted (positions included). */
export function useSubmitted(id: string | null) {
  return useQuery({
    queryKey: ["workflows", id, "submitted"],
    enabled: id !== null,
    queryFn: async () => {
      const answer = await api.GET("/v1/workflows/{workflow_id}/export", {
        params: { path: { workflow_id: id! }, query: { format: "json" } },
        parseAs: "json",
      });
      return unwrap(answer) as unknown as Doc;
    },
    staleTime: Infinity,
  });
}

export function useSimulate() {
  return useMutation({
    mutationFn: async (body: Schemas["DraftTestIn"]) => unwrap(await api.POST("/v1/workflows/simulate", { body })),
  });
}

export type TemplatePreview = Schemas["TemplatePreviewOut"];

/** What ``template`` renders to against ``data`` in a run of the draft (its trigger and name
 * are all the server reads), ``delay`` ms after it last changed; none for plain text. */
export function useTemplatePreview(
  template: string,
  draft: { name?: unknown; trigger?: unknown },
  workflowId: string | null,
  data: Record<string, unknown> | null,
  delay = 300,
) {
  const asked = { template, definition: { name: draft.name, trigger: draft.trigger }, workflowId, data };
  const key = JSON.stringify(asked);
  const [settled, setSettled] = useState(key);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(key), delay);
    return () => clearTimeout(timer);
  }, [key, delay]);
  const query = useQuery({
    queryKey: ["render-template", settled],
    enabled: isTemplate(template),
    queryFn: async () => {
      const body = JSON.parse(settled) as typeof asked;
      return unwrap(
        await api.POST("/v1/workflows/render-template", {
          body: {
            template: body.template,
            definition: body.definition as unknown as Record<string, never>,
            workflow_id: body.workflowId,
            data: body.data as Record<string, never> | null,
          },
        }),
      );
    },
    placeholderData: (previous) => previous,
    staleTime: 30_000,
  });
  return { query, current: settled === key && !query.isPlaceholderData };
}

/** Text holding template markup: what is worth previewing. */
export function isTemplate(text: string): boolean {
  return text.includes("{{") || text.includes("{%");
}
