import { useMutation, useQuery } from "@tanstack/react-query";
import { api, unwrap, type Workflow } from "../../../api/client";
import { useMay } from "../../../api/me";
import { ProblemAlert } from "../../../components/feedback";
import { exactTime } from "../../../components/format";
import { durationWords, triggerWords } from "./triggerWords";

type Trigger = {
  type?: string;
  cancel_on?: string[];
  reenroll?: unknown;
  rate_limit?: { max?: number; per?: unknown; over?: string };
  priority?: number;
  entity?: string;
  overlap?: string;
};

function reenrollWords(value: unknown): string {
  if (value === undefined || value === null || value === "always") return "every time";
  if (value === "once") return "once per entity";
  if (typeof value === "object" && value && "after" in value) {
    return `again ${durationWords((value as { after: unknown }).after)} after the last run`;
  }
  return String(value);
}

/** How the workflow starts: its trigger in words, schedule, rate limit, re-enrolment,
 * cancellation events, and — for a webhook trigger — its URL. */
export function TriggerDetails({ workflow }: { workflow: Workflow }) {
  const trigger = (workflow.definition.trigger ?? {}) as Trigger;
  const limit = trigger.rate_limit;
  const may = useMay(); // the webhook's URL is a credential: editors only
  return (
    <section className="card" aria-labelledby="trigger-title">
      <h2 id="trigger-title">How it starts</h2>
      <dl className="facts">
        <dt>Trigger</dt>
        <dd>{triggerWords(workflow.definition)}</dd>
        {trigger.entity && (
          <>
            <dt>Entity</dt>
            <dd>
              <code>{trigger.entity}</code>
            </dd>
          </>
        )}
        <dt>Runs per entity</dt>
        <dd>{reenrollWords(trigger.reenroll)}</dd>
        {limit && (
          <>
            <dt>Rate limit</dt>
            <dd>
              at most {limit.max} runs per {durationWords(limit.per)}; over it,{" "}
              {limit.over === "drop" ? "events are dropped" : "runs are deferred to the next window"}
            </dd>
          </>
        )}
        {trigger.cancel_on && trigger.cancel_on.length > 0 && (
          <>
            <dt>Cancelled by</dt>
            <dd>{trigger.cancel_on.join(", ")}</dd>
          </>
        )}
        {!!trigger.priority && (
          <>
            <dt>Priority</dt>
            <dd>{trigger.priority}</dd>
          </>
        )}
      </dl>
      {trigger.type === "webhook" && may.edit_workflows && <Webhook workflowId={workflow.id} />}
    </section>
  );
}

function Webhook({ workflowId }: { workflowId: string }) {
  const hook = useQuery({
    queryKey: ["hook", workflowId],
    queryFn: async () => {
      const answer = await api.GET("/v1/workflows/{workflow_id}/hook", {
        params: { path: { workflow_id: workflowId } },
      });
      return answer.response.status === 404 ? null : unwrap(answer);
    },
  });
  const issue = useMutation({
    mutationFn: async () =>
      unwrap(
        await api.POST("/v1/workflows/{workflow_id}/hook", {
          params: { path: { workflow_id: workflowId } },
          body: { signed: false },
        }),
      ),
    onSuccess: () => void hook.refetch(),
  });
  return (
    <div>
      <h3>Webhook</h3>
      {issue.data ? (
        <p role="status">
          POST events to <code>{window.location.origin + issue.data.url}</code> — copy it now: the
          token is shown only once.
        </p>
      ) : hook.data ? (
        <p>
          A URL was issued {exactTime(hook.data.created_at)}
          {hook.data.signed ? " (requests must be signed)" : ""}. Issue a new one to see it again;
          the old one stops working.
        </p>
      ) : (
        <p className="muted">No URL yet.</p>
      )}
      <button type="button" onClick={() => issue.mutate()} disabled={issue.isPending}>
        {hook.data ? "Issue a new URL" : "Issue a URL"}
      </button>
      <ProblemAlert error={issue.error} title="No URL was issued" />
    </div>
  );
}
