/** A workflow's trigger in words, from its canonical definition (SPEC §2.5):
 * "when booking.created where event type is Discovery Call", "every Monday 09:00 Europe/Berlin",
 * "24 h before start_time, after appointment.created". */

type Json = Record<string, unknown>;

const OPERATORS: Record<string, string> = {
  eq: "is",
  ne: "is not",
  gt: "is more than",
  gte: "is at least",
  lt: "is less than",
  lte: "is at most",
  in: "is one of",
  not_in: "is none of",
  contains: "contains",
  not_contains: "does not contain",
  startswith: "starts with",
  endswith: "ends with",
  is_empty: "is empty",
  is_not_empty: "is not empty",
  exists: "is set",
  not_exists: "is not set",
  regex: "matches",
  before: "is before",
  after: "is after",
  between: "is between",
  days_ago: "was days ago:",
  days_from_now: "is in days:",
  changed: "changed",
};

function fieldWords(path: unknown): string {
  const text = String(path ?? "").replace(/^\{\{\s*|\s*\}\}$/g, "");
  const last = text.split(".").pop() ?? text;
  return last.replace(/_/g, " ");
}

function valueWords(value: unknown): string {
  if (Array.isArray(value)) return value.map(valueWords).join(", ");
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

export function conditionWords(condition: unknown): string {
  if (!condition || typeof condition !== "object") return "";
  const c = condition as Json;
  if (Array.isArray(c.and)) return c.and.map(group).join(" and ");
  if (Array.isArray(c.or)) return c.or.map(group).join(" or ");
  if (c.not) return `not (${conditionWords(c.not)})`;
  const operator = String(c.operator ?? "eq");
  const value = valueWords(c.value);
  return [fieldWords(c.field), OPERATORS[operator] ?? operator, value].filter(Boolean).join(" ");
}

function group(condition: unknown): string {
  const words = conditionWords(condition);
  const c = condition as Json;
  return c && (Array.isArray(c.and) || Array.isArray(c.or)) ? `(${words})` : words;
}

/** "24h" / "PT24H" / {hours: 24} / seconds → "24 h". */
export function durationWords(value: unknown): string {
  if (typeof value === "number") return secondsWords(Math.abs(value));
  if (value && typeof value === "object") {
    return Object.entries(value as Json)
      .map(([unit, amount]) => `${Math.abs(Number(amount))} ${unit}`)
      .join(" ");
  }
  const text = String(value ?? "").replace(/^[-+]/, "");
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/i.exec(text);
  if (iso) {
    const [, d, h, m, s] = iso;
    return [d && `${d} d`, h && `${h} h`, m && `${m} min`, s && `${s} s`].filter(Boolean).join(" ");
  }
  const short = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/i.exec(text);
  if (short) {
    const unit = { s: "s", m: "min", h: "h", d: "d", w: "weeks" }[short[2]!.toLowerCase()];
    return `${short[1]} ${unit ?? short[2]}`;
  }
  return text;
}

function secondsWords(seconds: number): string {
  if (seconds % 86400 === 0) return `${seconds / 86400} d`;
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

function isNegative(value: unknown): boolean {
  if (typeof value === "number") return value < 0;
  if (value && typeof value === "object") return Object.values(value as Json).some((v) => Number(v) < 0);
  return String(value ?? "").startsWith("-");
}

function startWords(start: Json): string {
  if (start.anniversary !== undefined) {
    const at = start.at ? ` at ${String(start.at)}` : "";
    return `on the anniversary of ${fieldWords(start.anniversary)}${at}`;
  }
  if (start.until !== undefined) {
    const offset = start.offset;
    if (offset === undefined || offset === null || durationWords(offset) === "") {
      return `at ${fieldWords(start.until)}`;
    }
    const side = isNegative(offset) ? "before" : "after";
    return `${durationWords(offset)} ${side} ${fieldWords(start.until)}`;
  }
  if (start.duration !== undefined) return `${durationWords(start.duration)} after`;
  return "";
}

const DAYS = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];

function pad(n: string): string {
  return n.padStart(2, "0");
}

/** The common cron shapes in words; anything else as the expression itself. */
export function cronWords(cron: string): string {
  const parts = cron.trim().split(/\s+/);
  if (parts.length !== 5) return `on cron ${cron}`;
  const [minute, hour, dom, month, dow] = parts as [string, string, string, string, string];
  const everyMinutes = /^\*\/(\d+)$/.exec(minute);
  if (everyMinutes && hour === "*" && dom === "*" && month === "*" && dow === "*") {
    return `every ${everyMinutes[1]} minutes`;
  }
  if (!/^\d+$/.test(minute)) return `on cron ${cron}`;
  if (hour === "*" && dom === "*" && month === "*" && dow === "*") {
    return `every hour at minute ${minute}`;
  }
  if (!/^\d+$/.test(hour) || month !== "*") return `on cron ${cron}`;
  const time = `${pad(hour)}:${pad(minute)}`;
  if (dom === "*" && dow === "*") return `every day ${time}`;
  if (dom === "*" && /^[0-7]$/.test(dow)) return `every ${DAYS[Number(dow) % 7]} ${time}`;
  if (dom === "*" && (dow === "1-5" || dow.toUpperCase() === "MON-FRI")) return `every weekday ${time}`;
  if (/^\d+$/.test(dom) && dow === "*") return `every month on day ${dom} at ${time}`;
  return `on cron ${cron}`;
}

function scheduleWords(trigger: Json): string {
  const zone = trigger.timezone ? ` ${String(trigger.timezone)}` : "";
  if (typeof trigger.cron === "string") return `${cronWords(trigger.cron)}${zone}`;
  if (Array.isArray(trigger.cron)) return trigger.cron.map((c) => cronWords(String(c))).join(" and ") + zone;
  if (trigger.every !== undefined) return `every ${durationWords(trigger.every)}`;
  if (trigger.calendar !== undefined) return `on a calendar${zone}`;
  return "on a schedule";
}

export function triggerWords(definition: unknown): string {
  const trigger = ((definition as Json | undefined)?.trigger ?? {}) as Json;
  const type = String(trigger.type ?? "event");
  if (type === "schedule") return scheduleWords(trigger);
  if (type === "manual") return "started by hand (API or CLI)";
  if (type === "webhook") return "when its webhook is called";
  let words = `when ${String(trigger.event ?? "an event")}`;
  if (type !== "event" && !trigger.event) words = `on ${type}`;
  const where = conditionWords(trigger.filter);
  if (where) words += ` where ${where}`;
  const start = trigger.start ? startWords(trigger.start as Json) : "";
  if (start.endsWith(" after")) words = `${start} ${words.replace(/^when /, "")}`;
  else if (start) words = `${start}, ${words.replace(/^when /, "after ")}`;
  return words;
}
