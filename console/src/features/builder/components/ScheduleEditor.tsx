import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, ApiProblem, unwrap } from "../../../api/client";

const PRESETS: [string, string][] = [
  ["0 9 * * *", "every day at 09:00"],
  ["0 9 * * MON-FRI", "weekdays at 09:00"],
  ["0 9 * * MON", "Mondays at 09:00"],
  ["0 0 1 * *", "the 1st of each month at 00:00"],
  ["*/15 * * * *", "every 15 minutes"],
  ["@hourly", "every hour"],
];

const ZONES: string[] = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf(key: string): string[] }).supportedValuesOf("timeZone");
  } catch {
    return ["UTC"];
  }
})();

/** A schedule trigger's cron and time zone, with the next five times it fires as the server
 * computes them (``POST /v1/schedules/preview``), shown in that zone. */
export function ScheduleEditor({ cron, timezone, onCron, onTimezone }: {
  cron: string;
  timezone: string;
  onCron: (value: string | undefined) => void;
  onTimezone: (value: string | undefined) => void;
}) {
  const [settled, setSettled] = useState({ cron, timezone });
  useEffect(() => {
    const timer = setTimeout(() => setSettled({ cron, timezone }), 300);
    return () => clearTimeout(timer);
  }, [cron, timezone]);
  const preview = useQuery({
    queryKey: ["schedule-preview", settled],
    enabled: settled.cron.trim() !== "",
    retry: false,
    queryFn: async () =>
      unwrap(
        await api.POST("/v1/schedules/preview", {
          body: { count: 5, trigger: { cron: settled.cron, ...(settled.timezone ? { timezone: settled.timezone } : {}) } },
        }),
      ),
  });
  const zone = preview.data?.timezone ?? "UTC";
  const format = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone, weekday: "short", day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });
  const error = preview.error;
  const problem = error instanceof ApiProblem ? (error.problem.errors?.map((e) => e.message).join("; ") ?? error.message) : error?.message;
  return (
    <fieldset className="schedule">
      <legend>Schedule</legend>
      <label htmlFor="trigger-cron">cron</label>
      <input id="trigger-cron" value={cron} placeholder="minute hour day month weekday" aria-describedby="trigger-cron-help"
        onChange={(e) => onCron(e.target.value || undefined)} />
      <label htmlFor="trigger-cron-preset">or pick</label>
      <select id="trigger-cron-preset" value="" onChange={(e) => e.target.value && onCron(e.target.value)}>
        <option value="">a common schedule…</option>
        {PRESETS.map(([value, words]) => <option key={value} value={value}>{words} ({value})</option>)}
      </select>
      <span id="trigger-cron-help" className="muted small">minute hour day-of-month month day-of-week, e.g. 0 9 * * MON-FRI</span>
      <label htmlFor="trigger-timezone">time zone</label>
      <input id="trigger-timezone" list="time-zones" value={timezone} placeholder="UTC" onChange={(e) => onTimezone(e.target.value || undefined)} />
      <datalist id="time-zones">
        {ZONES.map((z) => <option key={z} value={z} />)}
      </datalist>
      <section aria-label="Next runs">
        <strong className="small">Next runs ({zone})</strong>
        {!cron.trim() ? (
          <p className="muted small">Give a cron expression to see when it runs.</p>
        ) : problem ? (
          <p className="field-problem">{problem}</p>
        ) : (
          <ol className="small">
            {(preview.data?.times ?? []).map((t) => <li key={t}>{format.format(new Date(t))}</li>)}
          </ol>
        )}
      </section>
    </fieldset>
  );
}
