import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

/** The API's schemas, by name (generated from the OpenAPI document: `make console`). */
export type Schemas = components["schemas"];
export type Workflow = Schemas["WorkflowOut"];
export type Run = Schemas["RunOut"];
export type Step = Schemas["StepOut"];

/** ``GET /v1/workflows/{id}/graph`` (JSON). Written here because the route declares only its
 * media types (JSON, Mermaid, SVG), so its OpenAPI document carries no schema for it; this
 * mirrors ``GraphOut`` in api/routes/analytics.py. */
export interface Graph {
  workflow_id: string;
  version: number;
  from: string;
  to: string;
  runs: number;
  nodes: { id: string; type: string; label: string; visits: number }[];
  edges: { from: string; to: string; when: string | null; count: number }[];
}

const KEY_STORAGE = "relay.apiKey";

export function storedKey(): string | null {
  return window.localStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string | null): void {
  if (key) window.localStorage.setItem(KEY_STORAGE, key);
  else window.localStorage.removeItem(KEY_STORAGE);
}

/** An RFC 9457 problem as the API answers it, with field errors for invalid input. */
export interface ProblemBody {
  title: string;
  status: number;
  detail?: string;
  errors?: { path: string; message: string }[];
}

export class ApiProblem extends Error {
  readonly problem: ProblemBody;
  constructor(problem: ProblemBody) {
    super(problem.detail ? `${problem.title}: ${problem.detail}` : problem.title);
    this.problem = problem;
  }
  get status(): number {
    return this.problem.status;
  }
}

/** Listeners told when the API refuses the stored key (it was revoked, or the tenant removed). */
const unauthorised = new Set<() => void>();
export function onUnauthorised(listener: () => void): () => void {
  unauthorised.add(listener);
  return () => unauthorised.delete(listener);
}

const auth: Middleware = {
  onRequest({ request }) {
    const key = storedKey();
    if (key) request.headers.set("Authorization", `Bearer ${key}`);
    return request;
  },
  onResponse({ response }) {
    if (response.status === 401 && storedKey()) unauthorised.forEach((listener) => listener());
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: window.location.origin });
api.use(auth);

/** The data of an openapi-fetch result, or an ApiProblem carrying the API's problem details. */
export function unwrap<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.error !== undefined || !result.response.ok) throw toProblem(result.error, result.response);
  return result.data as T;
}

function toProblem(body: unknown, response: Response): ApiProblem {
  if (body && typeof body === "object" && "title" in body) {
    return new ApiProblem(body as ProblemBody);
  }
  return new ApiProblem({ title: response.statusText || "Request failed", status: response.status });
}

/** Checks a key without storing it: any authenticated list answers 200 for a valid key. */
export async function checkKey(key: string): Promise<void> {
  const response = await fetch("/v1/workflows?limit=1", {
    headers: { Authorization: `Bearer ${key}` },
  });
  if (!response.ok) {
    const body: unknown = await response.json().catch(() => undefined);
    throw toProblem(body, response);
  }
}
