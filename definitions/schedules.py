"""Schedule triggers (SPEC §2.5): cron, interval and calendar specs, checked before Temporal
sees them; and the calendar arithmetic of anniversary triggers.

Pure: "now" is always the caller's. A spec that passes here is one the Temporal server accepts,
so activation never fails on a schedule the definition language let through. Time zones are
looked up in the IANA database the standard library reads (no clock, no network).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from definitions.durations import parse_duration, parse_instant
from definitions.errors import DefinitionError, Problem

OVERLAP_POLICIES = frozenset(
    {"skip", "buffer_one", "buffer_all", "cancel_other", "terminate_other", "allow_all"}
)
"""What a schedule does when a run is due while the previous one is still open (Temporal's
ScheduleOverlapPolicy); ``skip`` is the default."""

SPEC_KEYS = ("cron", "every", "calendar")
MIN_INTERVAL = timedelta(seconds=1)

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


@dataclass(frozen=True)
class Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()
    """Names for the values from ``low`` on (JAN = 1, SUN = 0)."""


# Cron's five fields in order, and the calendar fields (which add seconds and years).
MINUTE = Field("minute", 0, 59)
HOUR = Field("hour", 0, 23)
DAY_OF_MONTH = Field("day_of_month", 1, 31)
MONTH = Field("month", 1, 12, tuple(_MONTHS))
DAY_OF_WEEK = Field("day_of_week", 0, 6, tuple(_DAYS))
CRON_FIELDS = (MINUTE, HOUR, DAY_OF_MONTH, MONTH, DAY_OF_WEEK)
CALENDAR_FIELDS = {
    f.name: f
    for f in (Field("second", 0, 59), *CRON_FIELDS, Field("year", 1970, 2200))
}  # fmt: skip
CRON_MACROS = frozenset({"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@hourly"})

Range = tuple[int, int, int]
"""(start, end, step), inclusive, as Temporal's ScheduleRange."""

_PART = re.compile(r"^(\*|[A-Za-z0-9]+(?:-[A-Za-z0-9]+)?)(?:/(\d+))?$")


def check_timezone(name: Any, path: str) -> list[Problem]:
    if not isinstance(name, str) or not name.strip():
        return [Problem(path, "a time zone is an IANA name such as 'Europe/Berlin'")]
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return [Problem(path, f"unknown time zone {name!r} (an IANA name such as 'Europe/Berlin')")]
    return []


def check_cron(expression: Any, path: str) -> list[Problem]:
    """Five fields (minute hour day-of-month month day-of-week) with ``*``, lists, ranges,
    steps and names (``0 9 * * MON-FRI``), or a macro such as ``@daily``."""
    if not isinstance(expression, str) or not expression.strip():
        return [Problem(path, "a cron expression is a string such as '0 9 * * MON'")]
    text = expression.strip()
    if text.startswith("@"):
        if text.lower() in CRON_MACROS:
            return []
        macros = ", ".join(sorted(CRON_MACROS))
        return [Problem(path, f"unknown cron macro {text!r} ({macros})")]
    parts = text.split()
    if len(parts) != len(CRON_FIELDS):
        return [
            Problem(
                path,
                f"{text!r}: a cron expression has 5 fields (minute hour day-of-month month "
                f"day-of-week), not {len(parts)}",
            )
        ]
    for field, part in zip(CRON_FIELDS, parts, strict=True):
        try:
            list(_ranges(field, part))
        except ValueError as exc:
            return [Problem(path, f"{text!r}: {field.name.replace('_', '-')}: {exc}")]
    return []


def calendar_ranges(spec: dict[str, Any]) -> dict[str, list[Range]]:
    """A calendar spec's fields as ranges (``{"hour": 9, "day_of_week": "MON-FRI"}`` →
    ``{"hour": [(9, 9, 1)], "day_of_week": [(1, 5, 1)]}``); raises ``ValueError``."""
    ranges: dict[str, list[Range]] = {}
    for name, value in spec.items():
        if name == "comment":
            continue
        field = CALENDAR_FIELDS.get(name)
        if field is None:
            known = ", ".join(CALENDAR_FIELDS)
            raise ValueError(f"unknown calendar field {name!r} ({known})")
        items = value if isinstance(value, list) else [value]
        ranges[name] = [r for item in items for r in _ranges(field, _text(item, name))]
    return ranges


def calendars(trigger: dict[str, Any]) -> list[dict[str, Any]]:
    """The trigger's calendar specs as a list (one object or many)."""
    spec = trigger.get("calendar")
    if spec is None:
        return []
    return spec if isinstance(spec, list) else [spec]


def schedule_problems(trigger: dict[str, Any], where: Any) -> list[Problem]:
    """Every problem of a schedule trigger; ``where`` maps canonical paths to submitted ones."""
    present = [k for k in SPEC_KEYS if trigger.get(k) not in (None, "", [])]
    if not present:
        return [Problem(where("trigger.type"), "a schedule trigger needs cron, every or calendar")]
    problems: list[Problem] = []
    if "cron" in present:
        crons = trigger["cron"] if isinstance(trigger["cron"], list) else [trigger["cron"]]
        for index, cron in enumerate(crons):
            path = "trigger.cron" if len(crons) == 1 else f"trigger.cron[{index}]"
            problems += check_cron(cron, where(path))
    if "every" in present:
        problems += _interval_problems(trigger, where)
    if "calendar" in present:
        specs = calendars(trigger)
        for index, spec in enumerate(specs):
            path = "trigger.calendar" if len(specs) == 1 else f"trigger.calendar[{index}]"
            if not isinstance(spec, dict) or not spec:
                problems.append(Problem(where(path), "a calendar spec is an object of fields"))
                continue
            try:
                calendar_ranges(spec)
            except ValueError as exc:
                problems.append(Problem(where(path), str(exc)))
    if "timezone" in trigger:
        problems += check_timezone(trigger["timezone"], where("trigger.timezone"))
    overlap = trigger.get("overlap", "skip")
    if overlap not in OVERLAP_POLICIES:
        choices = ", ".join(sorted(OVERLAP_POLICIES))
        problems.append(Problem(where("trigger.overlap"), f"overlap is one of {choices}"))
    return problems


def _interval_problems(trigger: dict[str, Any], where: Any) -> list[Problem]:
    problems: list[Problem] = []
    for key in ("every", "offset"):
        if trigger.get(key) in (None, ""):
            continue
        try:
            value = parse_duration(trigger[key], where(f"trigger.{key}"))
        except DefinitionError as exc:
            problems += exc.problems
            continue
        if key == "every" and value < MIN_INTERVAL:
            problems.append(Problem(where("trigger.every"), "the interval is at least 1 second"))
        if key == "offset" and value < timedelta(0):
            problems.append(Problem(where("trigger.offset"), "the offset cannot be negative"))
    return problems


def _ranges(field: Field, text: str) -> Iterator[Range]:
    for part in text.split(","):
        match = _PART.match(part.strip())
        if match is None:
            raise ValueError(f"{part!r} is not a value, range (1-5), step (*/15) or '*'")
        body, step_text = match.groups()
        step = int(step_text) if step_text else 1
        if step < 1:
            raise ValueError(f"{part!r}: a step is at least 1")
        if body == "*":
            start, end = field.low, field.high
        else:
            low, _, high = body.partition("-")
            start = _value(field, low)
            end = _value(field, high) if high else (field.high if step_text else start)
            if end < start:
                raise ValueError(f"{part!r}: a range goes from low to high")
        yield start, end, step


def _value(field: Field, text: str) -> int:
    if text.isdigit():
        number = int(text)
    elif text.upper() in field.names:
        number = field.names.index(text.upper()) + field.low
    else:
        raise ValueError(f"{text!r} is not a {field.name.replace('_', ' ')}")
    if not field.low <= number <= field.high:
        raise ValueError(f"{number} is out of range ({field.low}-{field.high})")
    return number


def _text(value: Any, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{name}: a value is a number, a name or a range such as '1-5'")
    return str(value)


# --------------------------------------------------------------------------- fire times

_MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_HORIZON_DAYS = 5 * 366
"""How far ahead fire times are looked for: a 29 February schedule fires within four years."""
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def next_fire_times(trigger: dict[str, Any], after: datetime, count: int = 5) -> list[datetime]:
    """The first ``count`` times (UTC) strictly after ``after`` at which a schedule trigger
    (already checked by ``schedule_problems``) fires: its crons, calendars and interval together.
    Fields all have to match, day of month and day of week included, as in a Temporal calendar
    spec; a local time a daylight-saving change skips does not fire."""
    zone = ZoneInfo(trigger.get("timezone") or "UTC")
    found: set[datetime] = set()
    crons = trigger.get("cron") or []
    for cron in crons if isinstance(crons, list) else [crons]:
        found |= _calendar_times(_cron_sets(cron), zone, after, count)
    for spec in calendars(trigger):
        sets = {
            name: _expand(ranges, CALENDAR_FIELDS[name])
            for name, ranges in calendar_ranges(spec).items()
        }
        found |= _calendar_times(
            {"second": {0}, "minute": {0}, "hour": {0}, **sets}, zone, after, count
        )
    if trigger.get("every") not in (None, ""):
        every = parse_duration(trigger["every"], "trigger.every")
        offset = parse_duration(trigger.get("offset") or 0, "trigger.offset")
        first = _EPOCH + offset + ((after - _EPOCH - offset) // every + 1) * every
        found |= {first + i * every for i in range(count)}
    return sorted(found)[:count]


def _cron_sets(expression: str) -> dict[str, set[int]]:
    text = _MACROS.get(expression.strip().lower(), expression.strip())
    return {"second": {0}} | {
        field.name: _expand(list(_ranges(field, part)), field)
        for field, part in zip(CRON_FIELDS, text.split(), strict=True)
    }


def _expand(ranges: list[Range], field: Field) -> set[int]:
    return {v for start, end, step in ranges for v in range(start, end + 1, step)} or set(
        range(field.low, field.high + 1)
    )


def _calendar_times(
    sets: dict[str, set[int]], zone: ZoneInfo, after: datetime, count: int
) -> set[datetime]:
    def allows(name: str, value: int) -> bool:
        return name not in sets or value in sets[name]

    times: set[datetime] = set()
    day = after.astimezone(zone).date()
    clock = [
        (h, m, s)
        for h in sorted(sets.get("hour", range(24)))
        for m in sorted(sets.get("minute", range(60)))
        for s in sorted(sets.get("second", {0}))
    ]
    for _ in range(_HORIZON_DAYS):
        if (
            allows("year", day.year)
            and allows("month", day.month)
            and allows("day_of_month", day.day)
            and allows("day_of_week", (day.weekday() + 1) % 7)
        ):
            for hour, minute, second in clock:
                local = datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=zone)
                instant = local.astimezone(UTC)
                if instant.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
                    continue  # skipped by a daylight-saving change
                if instant > after:
                    times.add(instant)
                    if len(times) == count:
                        return times
        day += timedelta(days=1)
    return times


# --------------------------------------------------------------------------- anniversaries


def next_anniversary(
    anniversary: Any, after: datetime, at: time = time(9), timezone: str = "UTC"
) -> datetime:
    """The first yearly recurrence of ``anniversary``'s month and day, at ``at`` in ``timezone``,
    strictly after ``after``. A 29 February falls on 28 February in other years."""
    day = _date_of(anniversary)
    zone = ZoneInfo(timezone)
    local = after.astimezone(zone)
    for year in (local.year, local.year + 1, local.year + 2):
        candidate = datetime.combine(_in_year(day, year), at, tzinfo=zone).astimezone(UTC)
        if candidate > after:
            return candidate
    raise AssertionError("unreachable: a date recurs within two years")


def _date_of(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value.strip()) == 10:
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    return parse_instant(value, "anniversary").date()


def _in_year(day: date, year: int) -> date:
    if day.month == 2 and day.day == 29:
        leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
        return date(year, 2, 29 if leap else 28)
    return day.replace(year=year)


def field_template(field: str) -> str:
    """A field of the event as a template: ``start_time`` → ``{{ start_time }}``,
    ``data.start_time`` → ``{{ event.data.start_time }}``; a template stays as written."""
    text = field.strip()
    if "{{" in text:
        return text
    if text.startswith("data."):
        text = "event." + text
    return "{{ " + text + " }}"
