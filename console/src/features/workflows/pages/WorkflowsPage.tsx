import { useMemo, useState } from "react";
import { Link, useNavigate } from "react-router-dom";
import type { Schemas, Workflow } from "../../../api/client";
import { useMay } from "../../../api/me";
import { Empty, Loading, ProblemAlert } from "../../../components/feedback";
import { percent, StatusBadge, When } from "../../../components/format";
import { useImport, useLifecycle, useStats, useWeekTrends, useWorkflows, type Lifecycle } from "../api/queries";
import { Trend } from "../components/Trend";
import { triggerWords } from "../components/triggerWords";

type Stats = Schemas["WorkflowStats"];
const STATUSES = ["draft", "active", "paused", "archived"] as const;
const TRIGGERS = ["event", "schedule", "webhook", "manual"] as const;

export function WorkflowsPage() {
  const workflows = useWorkflows();
  const week = useStats(7);
  const ever = useStats(null);
  const trends = useWeekTrends();
  const lifecycle = useLifecycle();
  const importing = useImport();
  const navigate = useNavigate();
  const may = useMay();
  const [search, setSearch] = useState("");
  const [status, setStatus] = useState("");
  const [trigger, setTrigger] = useState("");
  const [selected, setSelected] = useState<Set<string>>(new Set());

  const byId = (rows: Stats[] | undefined) => new Map((rows ?? []).map((r) => [r.workflow_id, r]));
  const weekly = useMemo(() => byId(week.data?.workflows), [week.data]);
  const lastRuns = useMemo(() => byId(ever.data?.workflows), [ever.data]);

  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return (workflows.data ?? []).filter(
      (w) =>
        (!status || w.status === status) &&
        (!trigger || w.trigger_type === trigger) &&
        (!needle ||
          w.name.toLowerCase().includes(needle) ||
          w.description.toLowerCase().includes(needle) ||
          triggerWords(w.definition).toLowerCase().includes(needle)),
    );
  }, [workflows.data, search, status, trigger]);

  const chosen = shown.filter((w) => selected.has(w.id));
  const toggle = (id: string) =>
    setSelected((current) => {
      const next = new Set(current);
      if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
  const act = (action: Lifecycle) =>
    lifecycle.mutate(
      { ids: chosen.map((w) => w.id), action },
      { onSuccess: () => setSelected(new Set()) },
    );

  return (
    <section aria-labelledby="workflows-title">
      <header className="page-header">
        <h1 id="workflows-title">Workflows</h1>
        {may.edit_workflows && (
          <div className="actions">
            <Link className="button primary" to="/workflows/new/builder">
              New workflow
            </Link>
            <Link className="button" to="/templates">
              Create from a template
            </Link>
            <label className="button file">
              Import a JSON or YAML file
              <input
                type="file"
                accept=".json,.yaml,.yml,application/json,application/yaml"
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  e.target.value = "";
                  if (file) importing.mutate(file, { onSuccess: (w) => navigate(`/workflows/${w.id}`) });
                }}
              />
            </label>
          </div>
        )}
      </header>
      <ProblemAlert error={importing.error} title="The file could not be imported" />
      <div className="toolbar" role="search">
        <label>
          Search
          <input
            type="search"
            value={search}
            placeholder="name, description or trigger"
            onChange={(e) => setSearch(e.target.value)}
          />
        </label>
        <label>
          Status
          <select value={status} onChange={(e) => setStatus(e.target.value)}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Trigger
          <select value={trigger} onChange={(e) => setTrigger(e.target.value)}>
            <option value="">any</option>
            {TRIGGERS.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
      </div>
      {may.edit_workflows && (
        <div className="bulk" role="group" aria-label="Change the selected workflows">
          <span>{chosen.length ? `${chosen.length} selected` : "Select workflows to change them"}</span>
          {(["activate", "pause", "archive", "duplicate"] as const).map((action) => (
            <button
              key={action}
              type="button"
              disabled={!chosen.length || lifecycle.isPending}
              onClick={() => act(action)}
            >
              {action[0]!.toUpperCase() + action.slice(1)}
            </button>
          ))}
        </div>
      )}
      <ProblemAlert error={lifecycle.error} title="A workflow could not be changed" />
      <ProblemAlert error={workflows.error} title="The workflows could not be loaded" />
      {workflows.isPending ? (
        <Loading what="workflows" />
      ) : workflows.data && workflows.data.length === 0 ? (
        <Empty title="No workflows yet">
          <p>
            <Link to="/templates">Start from a template</Link>, import a JSON or YAML document
            above, or create one with <code>POST /v1/workflows</code>.
          </p>
        </Empty>
      ) : shown.length === 0 ? (
        <Empty title="No workflow matches">
          <p>Clear the search or the filters to see every workflow.</p>
        </Empty>
      ) : (
        <div className="table-wrap">
          <table>
            <caption className="visually-hidden">Workflows with their runs in the last 7 days</caption>
            <thead>
              <tr>
                {may.edit_workflows && (
                  <th scope="col">
                    <span className="visually-hidden">Selected</span>
                  </th>
                )}
                <th scope="col">Name</th>
                <th scope="col">Status</th>
                <th scope="col">Trigger</th>
                <th scope="col">Runs (7 days)</th>
                <th scope="col">Success rate</th>
                <th scope="col">Last run</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((w) => (
                <WorkflowRow
                  key={w.id}
                  workflow={w}
                  week={weekly.get(w.id)}
                  ever={lastRuns.get(w.id)}
                  trend={trends.data?.[w.id]}
                  selected={selected.has(w.id)}
                  onToggle={may.edit_workflows ? () => toggle(w.id) : undefined}
                />
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function WorkflowRow(props: {
  workflow: Workflow;
  week: Stats | undefined;
  ever: Stats | undefined;
  trend: number[] | undefined;
  selected: boolean;
  /** Absent for a key that may not change workflows: nothing to select them for. */
  onToggle?: () => void;
}) {
  const { workflow: w, week, ever } = props;
  return (
    <tr aria-selected={props.selected}>
      {props.onToggle && (
        <td>
          <input
            type="checkbox"
            aria-label={`Select ${w.name}`}
            checked={props.selected}
            onChange={props.onToggle}
          />
        </td>
      )}
      <th scope="row">
        <Link to={`/workflows/${w.id}`}>{w.name}</Link>
        {w.description && <div className="muted small">{w.description}</div>}
      </th>
      <td>
        <StatusBadge status={w.status} />
      </td>
      <td>{triggerWords(w.definition)}</td>
      <td className="number">
        <span className="runs-cell">
          {props.trend && <Trend counts={props.trend} />}
          {week?.total ?? 0}
        </span>
      </td>
      <td className="number">{percent(week?.success_rate)}</td>
      <td>
        <When at={ever?.last_executed} />
      </td>
    </tr>
  );
}
