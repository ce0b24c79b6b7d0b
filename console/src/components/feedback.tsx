import type { ReactNode } from "react";
import { ApiProblem } from "../api/client";

/** An API error as the API stated it: title, detail and each field's problem. */
export function ProblemAlert({ error, title }: { error: unknown; title?: string }) {
  if (!error) return null;
  const problem = error instanceof ApiProblem ? error.problem : undefined;
  return (
    <div role="alert" className="alert">
      <strong>{title ?? problem?.title ?? "Something went wrong"}</strong>
      {problem ? (
        <>
          {title && <span> — {problem.title}</span>}
          {problem.detail && <p>{problem.detail}</p>}
          {problem.errors && problem.errors.length > 0 && (
            <ul>
              {problem.errors.map((e, i) => (
                <li key={i}>
                  {e.path && <code>{e.path}</code>} {e.message}
                </li>
              ))}
            </ul>
          )}
        </>
      ) : (
        <p>{error instanceof Error ? error.message : String(error)}</p>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p role="status" className="muted">
      Loading {what}…
    </p>
  );
}

/** An empty state that says what to do next. */
export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="empty">
      <h2>{title}</h2>
      {children}
    </div>
  );
}
