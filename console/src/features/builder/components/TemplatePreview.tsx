import { createContext, useContext } from "react";
import { ApiProblem } from "../../../api/client";
import { isTemplate, useTemplatePreview } from "../api/queries";
import type { Doc } from "../model";

/** What a template field's preview renders against: the draft (its trigger and name) and the
 * event data Try it would simulate with (its sample, or the data typed there). The builder
 * provides it; a template field outside the builder has no preview. */
export type PreviewSource = { doc: Doc; workflowId: string | null; data: Record<string, unknown> };

export const PreviewContext = createContext<PreviewSource | null>(null);

/** The text a template field renders to, as you type; its render error when it cannot. */
export function TemplatePreview({ template, field }: { template: string; field: string }) {
  const source = useContext(PreviewContext);
  if (!source || !isTemplate(template)) return null;
  return <Rendered template={template} field={field} source={source} />;
}

function Rendered({ template, field, source }: { template: string; field: string; source: PreviewSource }) {
  const { query, current } = useTemplatePreview(template, source.doc, source.workflowId, source.data);
  const problem = query.error instanceof ApiProblem ? query.error.problem : null;
  return (
    <div className={`template-preview${current ? "" : " stale"}`} role="status" aria-label={`Preview of ${field}`}>
      <span className="preview-label" aria-hidden="true">Preview</span>
      {query.error ? (
        <span className="field-problem preview-error">
          {problem?.status === 422 ? (problem.detail ?? problem.title) : "The preview is unavailable."}
        </span>
      ) : query.data ? (
        <output className="preview-text">{query.data.text === "" ? <span className="muted">(empty)</span> : query.data.text}</output>
      ) : (
        <span className="muted">rendering…</span>
      )}
    </div>
  );
}
