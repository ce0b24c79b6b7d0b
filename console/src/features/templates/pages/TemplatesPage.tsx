import { useMemo, useState, type FormEvent } from "react";
import { useNavigate } from "react-router-dom";
import type { Graph, Schemas } from "../../../api/client";
import { useMay } from "../../../api/me";
import { Loading, ProblemAlert } from "../../../components/feedback";
import { triggerWords } from "../../workflows/components/triggerWords";
import { WorkflowGraph } from "../../workflows/components/WorkflowGraph";
import { useFromTemplate, useTemplates } from "../api/queries";

type Template = Schemas["TemplateOut"];
type StepLike = { id?: string; type?: string; name?: string };

/** The template library by category; "Use this template" creates a draft from one, with a
 * name and optional overrides, and opens it. */
export function TemplatesPage() {
  const templates = useTemplates();
  const byCategory = useMemo(() => {
    const groups = new Map<string, Template[]>();
    for (const t of templates.data?.items ?? []) groups.set(t.category, [...(groups.get(t.category) ?? []), t]);
    return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
  }, [templates.data]);
  return (
    <section aria-labelledby="templates-title">
      <header className="page-header">
        <h1 id="templates-title">Templates</h1>
      </header>
      <ProblemAlert error={templates.error} title="The templates could not be loaded" />
      {templates.isPending && <Loading what="templates" />}
      {byCategory.map(([category, items]) => (
        <section key={category} aria-labelledby={`category-${category}`}>
          <h2 id={`category-${category}`}>{category.replace(/_/g, " ")}</h2>
          <div className="template-grid">
            {items.map((t) => (
              <TemplateCard key={t.id} template={t} />
            ))}
          </div>
        </section>
      ))}
    </section>
  );
}

function TemplateCard({ template }: { template: Template }) {
  const [open, setOpen] = useState(false);
  const may = useMay();
  const definition = template.definition as { steps?: StepLike[]; nodes?: StepLike[] };
  const steps = definition.nodes ?? definition.steps ?? [];
  return (
    <article className="card template" aria-labelledby={`template-${template.id}`}>
      <h3 id={`template-${template.id}`}>{template.name}</h3>
      <p>{template.description}</p>
      <p className="muted small">
        {triggerWords(template.definition)} · used {template.usage_count}×
      </p>
      <WorkflowGraph graph={previewGraph(template)} label={`Flow of ${template.name}`} preview />
      <ol className="steps small" aria-label={`Steps of ${template.name}`}>
        {steps.map((s, i) => (
          <li key={s.id ?? i}>
            {s.name ?? s.id ?? `step ${i + 1}`} <span className="muted">({s.type})</span>
          </li>
        ))}
      </ol>
      {open ? (
        <UseTemplateForm template={template} onCancel={() => setOpen(false)} />
      ) : (
        may.edit_workflows && (
          <button type="button" className="primary" onClick={() => setOpen(true)} aria-label={`Use the ${template.name} template`}>
            Use this template
          </button>
        )
      )}
    </article>
  );
}

/** The template's flow in the shape a workflow's graph has (no runs yet). */
function previewGraph(template: Template): Graph {
  return { workflow_id: template.id, version: 0, from: "", to: "", runs: 0, ...template.graph };
}

function UseTemplateForm({ template, onCancel }: { template: Template; onCancel: () => void }) {
  const create = useFromTemplate();
  const navigate = useNavigate();
  const [name, setName] = useState(template.name);
  const [overrides, setOverrides] = useState("");
  const [invalid, setInvalid] = useState<string | null>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    let patch: Record<string, unknown> | undefined;
    if (overrides.trim()) {
      try {
        patch = JSON.parse(overrides) as Record<string, unknown>;
      } catch (error) {
        setInvalid(`The overrides are not valid JSON: ${(error as Error).message}`);
        return;
      }
    }
    setInvalid(null);
    create.mutate(
      { template_id: template.id, name: name.trim() || undefined, overrides: patch },
      { onSuccess: (workflow) => navigate(`/workflows/${workflow.id}`) },
    );
  }

  return (
    <form onSubmit={submit} className="use-template" aria-label={`Create a workflow from ${template.name}`}>
      <label>
        Workflow name
        <input value={name} onChange={(e) => setName(e.target.value)} required />
      </label>
      <label>
        Overrides (optional JSON merge patch)
        <textarea
          rows={3}
          spellCheck={false}
          placeholder='{"settings": {"timezone": "Europe/Berlin"}}'
          value={overrides}
          onChange={(e) => setOverrides(e.target.value)}
        />
      </label>
      {invalid && (
        <p role="alert" className="alert">
          {invalid}
        </p>
      )}
      <ProblemAlert error={create.error} title="The workflow could not be created" />
      <div className="bulk">
        <button type="submit" className="primary" disabled={create.isPending}>
          Create workflow
        </button>
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
