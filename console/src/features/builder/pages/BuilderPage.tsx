import { ReactFlowProvider } from "@xyflow/react";
import { useCallback, useEffect, useMemo, useState } from "react";
import { Link, useLocation, useNavigate, useParams } from "react-router-dom";
import { ProblemAlert, Loading } from "../../../components/feedback";
import { StatusBadge } from "../../../components/format";
import { useLifecycle, useVersions, useWorkflow } from "../../workflows/api/queries";
import { useEventTypes, useNodeTypes, useSave, useSubmitted, useValidation, validate, type EventTypeEntry, type FieldSchema, type NodeTypeInfo } from "../api/queries";
import { BuilderCanvas, labelsFrom, type Joined, type Marks } from "../components/BuilderCanvas";
import { TextView, type KeysFor } from "../components/TextView";
import { NodeEditor, type Problems } from "../components/NodeEditor";
import { Palette } from "../components/Palette";
import { PreviewContext, type PreviewSource } from "../components/TemplatePreview";
import { eventData, NO_INPUTS, TryIt, type TryInputs } from "../components/TryIt";
import { conditionFields, ConditionScope, isDateField } from "../conditions";
import { compareDocs, type Comparison } from "../diff";
import { parseText, toText, type Format } from "../documentText";
import { useHistory } from "../history";
import { layout } from "../layout";
import { addNode, connect, edgesOf, emptyDoc, makeRoom, isGraphDoc, locate, nodesOf, positionOf, TRIGGER, triggerOf, type Doc, type XY } from "../model";

/** ``/workflows/new/builder`` (an empty canvas) and ``/workflows/:id/builder`` (its latest
 * version as submitted). */
export function BuilderPage() {
  const { workflowId } = useParams();
  const id = workflowId && workflowId !== "new" ? workflowId : null;
  const submitted = useSubmitted(id);
  const catalog = useNodeTypes();
  if (catalog.error) return <ProblemAlert error={catalog.error} title="The node types could not be loaded" />;
  if (submitted.error) return <ProblemAlert error={submitted.error} title="The workflow could not be loaded" />;
  if (!catalog.data || (id && !submitted.data)) return <Loading what="the builder" />;
  return (
    <ReactFlowProvider>
      <Builder key={id ?? "new"} id={id} initial={submitted.data ?? emptyDoc()} />
    </ReactFlowProvider>
  );
}

function Builder({ id, initial }: { id: string | null; initial: Doc }) {
  const catalog = useNodeTypes().data!;
  const types = useMemo(() => new Map<string, NodeTypeInfo>(catalog.types.map((t) => [t.name, t])), [catalog]);
  const known = useMemo(() => new Set(catalog.types.map((t) => t.name)), [catalog]);
  const history = useHistory<Doc>(isGraphDoc(initial, known) ? layout(initial) : initial);
  const doc = history.value;
  const [selected, setSelected] = useState<string | null>(null);
  const [view, setView] = useState<"canvas" | Format>(isGraphDoc(initial, known) ? "canvas" : "json");
  const [path, setPath] = useState<Set<string>>(new Set());
  const location = useLocation();
  const [fit, setFit] = useState(0);
  const [savedRevision, setSavedRevision] = useState<number | null>(id ? 0 : null);
  const dirty = savedRevision !== history.revision;
  const [notice, setNotice] = useState<string | null>((location.state as { notice?: string } | null)?.notice ?? null);
  const [importError, setImportError] = useState<unknown>(null);
  const [asking, setAsking] = useState(false);
  const [compareWith, setCompareWith] = useState<number | null>(null);
  // Try it's event data, later events and mocks: kept while the draft is edited and simulated.
  const [tryInputs, setTryInputs] = useState<TryInputs>(NO_INPUTS);
  const versions = useVersions(id ?? "");
  const { query: validation, current: checked } = useValidation(doc);
  const save = useSave();
  const lifecycle = useLifecycle();
  const workflow = useWorkflow(id ?? "");
  const eventTypes = useEventTypes();
  const navigate = useNavigate();
  const graph = isGraphDoc(doc, known);

  // The draft against the version picked in "Compare with": its document as submitted when
  // the canvas can read it, else its canonical graph.
  const comparison = useMemo<Comparison | null>(() => {
    const v = versions.data?.find((x) => x.version === compareWith);
    if (!v || !graph) return null;
    const base = (isGraphDoc(v.source, known) ? v.source : v.definition) as Doc;
    return compareDocs(v.version, base, doc);
  }, [versions.data, compareWith, graph, known, doc]);

  const edit = useCallback((next: (d: Doc) => Doc) => {
    history.set(next);
    setPath(new Set());
  }, [history]);

  // Ctrl-Z / Ctrl-Shift-Z (and Ctrl-Y), except while typing in a field (its own undo).
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (target && /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName)) return;
      if (!(e.ctrlKey || e.metaKey)) return;
      const key = e.key.toLowerCase();
      if (key === "z" && !e.shiftKey) history.undo();
      else if ((key === "z" && e.shiftKey) || key === "y") history.redo();
      else return;
      e.preventDefault();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [history]);

  const problems = useMemo(() => {
    const all: (Problems[number] & { node: string | null })[] = [];
    const report = validation.data;
    for (const [list, severity] of [[report?.errors ?? [], "error"], [report?.warnings ?? [], "warning"]] as const) {
      for (const p of list) {
        const at = locate(doc, p.path);
        all.push({ ...p, severity, node: at.node, key: at.key });
      }
    }
    return all;
  }, [validation.data, doc]);

  const marks = useMemo<Marks>(() => {
    const m: Marks = new Map();
    for (const p of problems) {
      if (!p.node) continue;
      const entry = m.get(p.node) ?? { errors: [], warnings: [] };
      (p.severity === "error" ? entry.errors : entry.warnings).push(p.key ? `${p.key}: ${p.message}` : p.message);
      m.set(p.node, entry);
    }
    return m;
  }, [problems]);

  const event = eventTypes.data?.find((t) => t.type === triggerOf(doc).event);
  const eventFields = useMemo(() => Object.keys(event?.schema?.properties ?? {}), [event]);
  const dateFields = useMemo(
    () => Object.entries(event?.schema?.properties ?? {}).filter(([k, p]) => isDateField(k, p)).map(([k]) => k),
    [event],
  );
  const names = useMemo(
    () => [...eventFields, ...Object.keys(event?.derived ?? {}), ...nodesOf(doc).map((n) => `steps.${n.id}.output`), "workflow.name", "run.id", "today", "now"],
    [eventFields, event, doc],
  );
  // What the selected node's conditions can read, and the operators the server describes.
  const conditionScope = useMemo(
    () => ({ fields: conditionFields(doc, eventTypes.data ?? [], selected), operators: catalog.operators }),
    [doc, eventTypes.data, selected, catalog],
  );
  const sample = useMemo(() => {
    const trigger = triggerOf(doc);
    if (trigger.sample && typeof trigger.sample === "object") return trigger.sample as Record<string, unknown>;
    return sampleFor(event);
  }, [doc, event]);
  const previewData = useMemo(() => eventData(tryInputs, sample), [tryInputs, sample]);
  const preview = useMemo<PreviewSource>(() => ({ doc, workflowId: id, data: previewData }), [doc, id, previewData]);
  const actions = useMemo(() => nodesOf(doc).filter((n) => types.get(n.type)?.kind === "action").map((n) => n.id), [doc, types]);

  /** A palette pick by keyboard (or click): below the selected node, joined to it when it
   * offers a plain edge that is still free. */
  const pick = (type: string) => {
    const from = selected ?? lastNode(doc);
    const base = (from ? positionOf(doc, from) : undefined) ?? { x: 0, y: 0 };
    add(type, { x: base.x, y: base.y + 120 }, from);
  };
  const add = (type: string, at: XY, from: string | null = null, join: Joined | null = null) => {
    let newId = "";
    edit((d) => {
      if (join) {
        const [next, created] = addNode(makeRoom(d, join.room.below, join.room.by, new Set()), type, at);
        newId = created;
        return connect(next, join.from, created, join.when);
      }
      const [next, created] = addNode(d, type, at);
      newId = created;
      if (from && labelsFrom(d, from, types).includes(null) && !edgesOf(d).some((e) => e.from === from && !e.when)) {
        return connect(next, from, created, null);
      }
      return next;
    });
    setTimeout(() => setSelected(newId));
  };

  const applyDocument = async (parsed: unknown, source: string) => {
    setImportError(null);
    if (isGraphDoc(parsed, known)) {
      history.set(layout(parsed));
      setFit((n) => n + 1);
      setNotice(null);
      return;
    }
    // Another shape (steps, a reference document's vocabulary): the server's canonical graph.
    const report = await validate(parsed, true);
    if (!report.definition) {
      setImportError({ message: `${source} is not a definition Relay can read`, problem: report });
      history.set(parsed as Doc);
      setView("json");
      return;
    }
    history.set(layout(report.definition as Doc, true));
    // Once the canonical graph is there (the server's answer): fitting before would fit the old one.
    setFit((n) => n + 1);
    setNotice(`${source} was written as ${describeShape(parsed)}; the canvas shows it as nodes and edges.`);
  };

  const importFile = async (file: File) => {
    const parsed = parseText(await file.text(), /\.ya?ml$/i.test(file.name) ? "yaml" : "json");
    if (parsed.error) {
      const where = parsed.error.line ? ` (line ${parsed.error.line})` : "";
      setImportError({ message: `${file.name} cannot be read${where}: ${parsed.error.message}` });
      return;
    }
    try {
      await applyDocument(parsed.value, file.name);
    } catch (error) {
      setImportError(error);
    }
  };

  const exportFile = (format: Format) => {
    const text = toText(doc, format).replace(/\n?$/, "\n");
    const blob = new Blob([text], { type: format === "yaml" ? "application/yaml" : "application/json" });
    const url = URL.createObjectURL(blob);
    const a = document.createElement("a");
    a.href = url;
    a.download = `${(doc.name ?? "workflow").toString().replace(/\W+/g, "-").toLowerCase()}.${format}`;
    a.click();
    URL.revokeObjectURL(url);
  };

  // The text views' completion: the keys of a step's type (its config) and of every step.
  const keysFor = useCallback<KeysFor>((type) => {
    const keysOf = (schema: unknown) => Object.keys((schema as { properties?: object } | undefined)?.properties ?? {});
    if (type === null) return keysOf(catalog.trigger).map((key) => ({ key, inConfig: false }));
    return [
      ...keysOf(types.get(type)?.schema).map((key) => ({ key, inConfig: true })),
      ...keysOf(catalog.common).map((key) => ({ key, inConfig: false })),
    ];
  }, [catalog, types]);

  const onSave = (message: string) =>
    save.mutate({ id, doc, message }, {
      onSuccess: (w) => {
        const saved = `Saved as version ${w.version}.`;
        setNotice(saved);
        setSavedRevision(history.revision);
        setAsking(false);
        if (!id) navigate(`/workflows/${w.id}/builder`, { replace: true, state: { notice: saved } });
      },
    });

  const report = validation.data;
  const w = workflow.data;
  const selectedProblems = problems.filter((p) => p.node === selected);
  return (
    <section aria-labelledby="builder-title" className="builder">
      <header className="page-header">
        <div>
          <h1 id="builder-title">{id ? "Edit workflow" : "New workflow"}</h1>
          <p className="muted">
            {w && id ? (
              <>
                <Link to={`/workflows/${id}`}>{w.name}</Link> · <StatusBadge status={w.status} /> · version {w.version}
                {w.active_version !== null && ` (active: ${w.active_version})`}
              </>
            ) : (
              "Not saved yet"
            )}
            {id && dirty && " · unsaved changes"}
          </p>
        </div>
        <div className="actions">
          <button type="button" onClick={history.undo} disabled={!history.canUndo} aria-keyshortcuts="Control+Z">Undo</button>
          <button type="button" onClick={history.redo} disabled={!history.canRedo} aria-keyshortcuts="Control+Shift+Z">Redo</button>
          <button type="button" onClick={() => { edit((d) => layout(d, true)); setFit((n) => n + 1); }} disabled={!graph}>Auto layout</button>
          <label className="button file">
            Import
            <input type="file" accept=".json,.yaml,.yml,application/json,application/yaml" onChange={(e) => { const f = e.target.files?.[0]; if (f) void importFile(f); e.target.value = ""; }} />
          </label>
          <button type="button" onClick={() => exportFile("json")}>Export JSON</button>
          <button type="button" onClick={() => exportFile("yaml")}>Export YAML</button>
          <button type="button" className="primary" onClick={() => setAsking(true)} disabled={save.isPending || asking} aria-haspopup="dialog">Save</button>
          {id && w && w.status !== "active" && w.status !== "archived" && (
            <button type="button" onClick={() => lifecycle.mutate({ ids: [id], action: "activate" }, { onSuccess: () => setNotice("Active: it now runs on every matching event.") })}
              disabled={lifecycle.isPending || !report?.valid || dirty}
              title={dirty ? "Save the changes first: activation runs the saved version" : undefined}>
              Activate
            </button>
          )}
        </div>
      </header>
      <div className="builder-bar">
        <label className="inline">
          Name
          <input value={typeof doc.name === "string" ? doc.name : ""} onChange={(e) => edit((d) => ({ ...d, name: e.target.value }))} />
        </label>
        <div role="group" aria-label="View" className="segmented">
          <button type="button" aria-pressed={view === "canvas"} onClick={() => (graph ? setView("canvas") : void applyDocument(doc, view === "yaml" ? "The YAML" : "The JSON"))}>Canvas</button>
          <button type="button" aria-pressed={view === "json"} onClick={() => setView("json")}>JSON</button>
          <button type="button" aria-pressed={view === "yaml"} onClick={() => setView("yaml")}>YAML</button>
        </div>
        {id && (versions.data?.length ?? 0) > 0 && (
          <label className="inline">
            Compare with
            <select value={compareWith ?? ""} onChange={(e) => setCompareWith(e.target.value ? Number(e.target.value) : null)}>
              <option value="">(nothing)</option>
              {[...(versions.data ?? [])].sort((a, b) => b.version - a.version).map((v) => (
                <option key={v.version} value={v.version}>
                  v{v.version}{v.message ? ` · ${v.message}` : ""}
                </option>
              ))}
            </select>
          </label>
        )}
        <ValidationSummary valid={report?.valid} errors={report?.errors.length ?? 0} warnings={report?.warnings.length ?? 0} pending={!checked} />
      </div>
      {asking && <SaveDialog pending={save.isPending} onSave={onSave} onCancel={() => setAsking(false)} />}
      {notice && <p role="status" className="notice">{notice}</p>}
      {comparison && <ComparisonSummary comparison={comparison} />}
      <ProblemAlert error={save.error ?? lifecycle.error} title="Not saved" />
      {importError !== null && <ProblemAlert error={importError} title="The file could not be imported" />}
      <PreviewContext.Provider value={preview}>
      {view === "canvas" && graph ? (
        <div className="builder-grid">
          <Palette types={catalog.types} onPick={pick} />
          <BuilderCanvas doc={doc} types={types} marks={marks} path={path} selected={selected} onSelect={setSelected}
            onChange={(next) => edit(next)} onAdd={(type, at, join) => add(type, at, null, join)} fit={fit} compare={comparison} />
          <ConditionScope.Provider value={conditionScope}>
            <NodeEditor doc={doc} id={selected && (selected === TRIGGER || nodesOf(doc).some((n) => n.id === selected)) ? selected : null}
              catalog={catalog} types={types} problems={selectedProblems} names={names} dateFields={dateFields}
              eventTypes={(eventTypes.data ?? []).map((t) => t.type)} onEdit={(next) => edit(next)} onSelect={setSelected} />
          </ConditionScope.Provider>
        </div>
      ) : (
        <TextView key={view} doc={doc} format={view === "yaml" ? "yaml" : "json"} problems={problems} keysFor={keysFor}
          onApply={(parsed) => edit(() => parsed as Doc)} />
      )}
      </PreviewContext.Provider>
      <div className="grid builder-below">
        <ProblemList problems={problems} onSelect={(node) => { setSelected(node); setView(graph ? "canvas" : view === "yaml" ? "yaml" : "json"); }} />
        <TryIt doc={doc} workflowId={id} sample={sample} actions={actions} eventTypes={(eventTypes.data ?? []).map((t) => t.type)}
          inputs={tryInputs} onInputs={setTryInputs} onPath={(p) => setPath(new Set([TRIGGER, ...p]))} />
      </div>
    </section>
  );
}

/** What the canvas marks, in words: the draft against the version picked. */
function ComparisonSummary({ comparison: c }: { comparison: Comparison }) {
  const count = (kind: string) => [...c.changes.values()].filter((k) => k === kind).length;
  const nodes = `${count("added")} added, ${count("changed")} changed, ${c.removed.length} removed`;
  const edges = c.edgesRemoved ? `; ${c.edgesRemoved} of its edges gone` : "";
  const same = c.changes.size === 0 && c.removed.length === 0 && c.edgesRemoved === 0;
  return (
    <p role="status" aria-label="Comparison" className="notice comparison">
      {same ? `The draft has the same nodes as v${c.version}.` : `Nodes of the draft against v${c.version}: ${nodes}${edges}.`}
      <span className="diff-badge diff-badge-added">■ added</span>
      <span className="diff-badge diff-badge-changed">■ changed</span>
      <span className="diff-badge diff-badge-removed">■ removed</span>
    </p>
  );
}

/** Save asks what the version changes (optional), as a commit does; Enter saves, Escape
 * cancels. */
function SaveDialog({ pending, onSave, onCancel }: { pending: boolean; onSave: (message: string) => void; onCancel: () => void }) {
  const [message, setMessage] = useState("");
  return (
    <form role="dialog" aria-label="Save a version" className="card save-dialog"
      onSubmit={(e) => { e.preventDefault(); onSave(message); }}
      onKeyDown={(e) => { if (e.key === "Escape") onCancel(); }}>
      <label>
        Message <span className="muted small">(optional: what this version changes)</span>
        <input autoFocus value={message} maxLength={500} onChange={(e) => setMessage(e.target.value)} placeholder="e.g. Shorter subject line" />
      </label>
      <div className="actions">
        <button type="submit" className="primary" disabled={pending}>{pending ? "Saving…" : "Save version"}</button>
        <button type="button" onClick={onCancel}>Cancel</button>
      </div>
    </form>
  );
}

/** Event data for a try: each field of the event type's schema with a plausible value (an
 * object's fields too: ``contact.email``), dates three days ahead at 15:00 UTC — near enough
 * for a simulation to reach, where the server's fixed sample instant may be years away. */
function sampleFor(event: EventTypeEntry | undefined): Record<string, unknown> {
  const soon = new Date(Date.now() + 3 * 24 * 3600 * 1000);
  soon.setUTCHours(15, 0, 0, 0);
  return sampleFields(event?.schema?.properties ?? {}, soon.toISOString().replace(".000Z", "Z"), 0);
}

function sampleFields(properties: Record<string, FieldSchema>, date: string, depth: number): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const [k, p] of Object.entries(properties)) {
    const types = [p.type ?? []].flat();
    if (isDateField(k, p)) data[k] = date;
    else if (p.format === "email" || k.endsWith("email")) data[k] = "ann@example.com";
    else if (types.includes("number") || types.includes("integer")) data[k] = 1;
    else if (types.includes("string")) data[k] = k.replace(/_/g, " ");
    else if (p.properties && depth < 4) data[k] = sampleFields(p.properties, date, depth + 1);
  }
  return data;
}

function lastNode(doc: Doc): string | null {
  const nodes = nodesOf(doc);
  return nodes.length ? nodes[nodes.length - 1]!.id : TRIGGER;
}

function describeShape(doc: unknown): string {
  const d = doc as Record<string, unknown>;
  if ("steps" in d || "actions" in d) return "a list of steps";
  return "another vocabulary";
}

function ValidationSummary({ valid, errors, warnings, pending }: { valid?: boolean; errors: number; warnings: number; pending: boolean }) {
  if (valid === undefined) return <span className="muted" role="status">Checking…</span>;
  return (
    <span role="status" aria-label="Validation" className={valid ? "valid" : "invalid"}>
      {valid ? "✓ Valid" : `✗ ${errors} error${errors === 1 ? "" : "s"}`}
      {warnings > 0 && `, ${warnings} warning${warnings === 1 ? "" : "s"}`}
      {pending && <span className="muted small"> · checking</span>}
    </span>
  );
}

function ProblemList({ problems, onSelect }: { problems: (Problems[number] & { node: string | null })[]; onSelect: (node: string | null) => void }) {
  return (
    <section className="card" aria-labelledby="problems-title">
      <h2 id="problems-title">Problems</h2>
      {problems.length === 0 ? (
        <p className="muted">None: the draft can be activated.</p>
      ) : (
        <ul className="problems" aria-label="Problems">
          {problems.map((p, i) => (
            <li key={i} className={p.severity}>
              <button type="button" className="link" onClick={() => onSelect(p.node)} disabled={!p.node}>
                <code>{p.path || "(document)"}</code>
              </button>{" "}
              {p.severity === "warning" ? "warning: " : ""}
              {p.message}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
