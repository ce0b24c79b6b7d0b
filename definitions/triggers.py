"""The trigger of a definition (SPEC §2.5), in every shape the reference documents write it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from typing import Any, TypeGuard

from definitions.aliases import TRIGGER_KIND_ALIASES, canonical_event_type
from definitions.conditions import normalise_condition
from definitions.durations import parse_duration
from definitions.errors import DefinitionError, Problem, join_path
from definitions.locating import pydantic_problems
from definitions.models import Trigger
from definitions.schedules import field_template, schedule_problems
from definitions.templates import has_expression

DATE_RELATIVE_KINDS = frozenset({"before", "after", "anniversary"})
"""Trigger types that are event triggers whose run starts relative to a date of the event."""


def normalise_trigger(
    document: dict[str, Any], fields: dict[str, str], problems: list[Problem]
) -> Trigger | None:
    """The canonical trigger of ``document``; records paths in ``fields``, problems in ``problems``.

    A string is an event type (or a trigger kind: ``manual``, ``schedule``…); an object may nest
    its settings under ``config``/``configuration`` and name its event ``event_type`` or
    ``trigger_type``. A document may instead give ``event_type`` and ``conditions`` (its filter)
    at its top, as the CRM document does. No trigger at all is a manual one.
    """
    base = next((k for k in ("trigger", "trigger_type") if document.get(k) is not None), None)
    listed = _listed_trigger(document, base, problems)
    if listed is not None:
        base = "triggers[0]"
        raw = listed
    elif base is None and document.get("event_type") is not None:
        # The CRM document's top-level event_type, filtered by its top-level conditions.
        base, raw = "event_type", {"event_type": document["event_type"]}
        if "conditions" in document:
            raw["conditions"] = document["conditions"]
    elif base is None:
        return Trigger(type="manual")
    else:
        raw = document[base]
        for key in ("event_type", "conditions"):
            if key in document:
                problems.append(Problem(key, f"the trigger is given by {base!r}: move {key} there"))
    fields["trigger"] = base
    if base == "event_type":
        data: dict[str, Any] = dict(raw)
        where = {"event_type": "event_type", "conditions": "conditions"}
    elif isinstance(raw, str):  # just the event type (or kind), as the scheduling document has it
        data = {"event": raw}
        where = {"event": base, "type": base}
    elif isinstance(raw, dict):
        data = dict(raw)
        where = {k: join_path(base, k) for k in data}
    else:
        problems.append(Problem(base, "must be an object or an event type"))
        return None
    for key in ("config", "configuration"):
        if isinstance(data.get(key), dict):
            inner = data.pop(key)
            where.update({k: join_path(join_path(base, key), k) for k in inner if k not in data})
            data = {**inner, **data}
    keys = [k for k in ("event", "event_type", "trigger_type") if isinstance(data.get(k), str)]
    event = data.get(keys[0]) if keys else None
    for key in ("event_type", "trigger_type"):
        data.pop(key, None)
    if isinstance(event, str) and event.strip().lower() in MEETING_TRIGGERS:
        _meeting_relative(event.strip().lower(), data, where, where[keys[0]])
    elif isinstance(event, str):
        kind = TRIGGER_KIND_ALIASES.get(event.strip().lower())
        if kind is not None:  # trigger_type "manual" / "schedule" names a kind, not an event
            data.pop("event", None)
            data.setdefault("type", kind)
        else:
            data["event"] = canonical_event_type(event)
            data.setdefault("type", "event")
        where.setdefault("type", where[keys[0]])
        where["event"] = where[keys[0]]
    _delay_minutes(document, data, where, problems)
    filter_key = next((k for k in ("filter", "conditions") if k in data), "filter")
    filter_path = where.get(filter_key, join_path(base, filter_key))
    try:
        data["filter"] = normalise_condition(data.pop(filter_key, None), filter_path)
    except DefinitionError as exc:
        problems.extend(exc.problems)
        data["filter"] = None
    where["filter"] = filter_path
    _configuration_filters(data, where)
    _event_types(document, data, where, problems)
    _appointment_type(document, data, where, problems)
    if isinstance(data.get("cancel_on"), list):
        data["cancel_on"] = [
            canonical_event_type(e) if isinstance(e, str) else e for e in data["cancel_on"]
        ]
    _date_relative(data, where, base)
    fields.update({f"trigger.{k}": p for k, p in where.items()})
    try:
        return Trigger.model_validate(data)
    except ValueError as exc:
        problems.extend(pydantic_problems(exc, base, where))
        return None


MEETING_TRIGGERS = {
    "before_meeting": ("before", "start_time"),
    "after_meeting": ("after", "end_time"),
}
"""The scheduling document's meeting-relative triggers: a booking's start and end."""


def _delay_minutes(
    document: dict[str, Any], data: dict[str, Any], where: dict[str, str], problems: list[Problem]
) -> None:
    """The scheduling document's ``delay_minutes``: with before_meeting / after_meeting, how
    long before the meeting's start / after its end; else how long after the trigger."""
    minutes = document.get("delay_minutes")
    meeting = data.get("type") in ("before", "after") and data.get("event") == "booking.created"
    if meeting and "offset" not in data:
        if isinstance(minutes, int | float) and not isinstance(minutes, bool) and minutes < 0:
            side = "before the start" if data["type"] == "before" else "after the end"
            message = f"delay_minutes counts the minutes {side} of the meeting: give it positive"
            problems.append(Problem("delay_minutes", message))
        data["offset"] = {"minutes": 0 if minutes is None else minutes}
        where["offset"] = "delay_minutes" if minutes is not None else where["type"]
    elif _is_number(minutes) and str(data.get("event", "")).startswith("appointment."):
        _appointment_relative(minutes, data, where)
    elif minutes is not None and minutes != 0:  # 0: at once
        data["delay"], where["delay"] = {"minutes": minutes}, "delay_minutes"


def _appointment_relative(
    minutes: int | float, data: dict[str, Any], where: dict[str, str]
) -> None:
    """The meeting engine's ``delay_minutes``: negative, before the appointment's start;
    positive, after its end for ``appointment_completed``, else after the trigger. A time
    already past skips the run, and so does the appointment's cancellation."""
    data.setdefault("cancel_on", ["appointment.cancelled"])
    where.setdefault("cancel_on", "trigger")
    if minutes < 0:
        data.update(type="before", field="appointment.start_time", offset={"minutes": -minutes})
    elif data["event"] == "appointment.completed":
        data.update(type="after", field="appointment.end_time", offset={"minutes": minutes})
    else:
        if minutes:
            data["delay"], where["delay"] = {"minutes": minutes}, "delay_minutes"
        return
    data.setdefault("if_past", "skip")
    where.update(offset="delay_minutes", field="delay_minutes")


def _listed_trigger(
    document: dict[str, Any], base: str | None, problems: list[Problem]
) -> Any | None:
    """The marketing document's ``triggers: [{trigger_type, configuration}]``: one trigger, as
    a Relay workflow has (another: refused, with the way out)."""
    triggers = document.get("triggers")
    if triggers is None:
        return None
    if base is not None or document.get("event_type") is not None:
        problems.append(Problem("triggers", "the workflow's trigger is given already"))
    elif not isinstance(triggers, list) or len(triggers) != 1:
        message = "a workflow has one trigger: list one, and make a workflow per other trigger"
        problems.append(Problem("triggers", message))
    else:
        return triggers[0]
    return None


_TAG = {"tag_name": ("tag", "eq"), "tag": ("tag", "eq")}
_LIST = {"list_name": ("list", "eq"), "list_id": ("list", "eq"), "list": ("list", "eq")}
_EMAIL = {"email_id": ("email_id", "eq"), "campaign": ("campaign", "eq")}
CONFIGURATION_FILTERS: dict[str, dict[str, tuple[str, str]]] = {
    "form.submitted": {"form_id": ("form_id", "eq"), "form_name": ("form_name", "eq")},
    **{f"email.{kind}": _EMAIL for kind in ("opened", "replied", "bounced", "unsubscribed")},
    "email.clicked": {**_EMAIL, "link_url": ("link_url", "eq")},
    "page.visited": {"page_url": ("page_url", "eq")},
    "contact.tag_added": _TAG,
    "contact.tag_removed": _TAG,
    "contact.list_added": _LIST,
    "contact.list_removed": _LIST,
    "deal.stage_changed": {
        "stage": ("new_stage", "eq"), "to_stage": ("new_stage", "eq"),
        "from_stage": ("old_stage", "eq"),
    },
    "score.threshold_reached": {"threshold": ("score", "gte")},
    "score.threshold_dropped": {"threshold": ("score", "lt")},
}  # fmt: skip
"""The marketing document's trigger ``configuration``: per event type, a key → the event field
it filters on and how (a tag name, a form id, a score threshold)."""


def _configuration_filters(data: dict[str, Any], where: dict[str, str]) -> None:
    """A trigger's ``configuration`` filters, added to its filter (all of them must hold)."""
    known = CONFIGURATION_FILTERS.get(str(data.get("event")), {})
    leaves = [
        {"field": field, "operator": operator, "value": data.pop(key)}
        for key, (field, operator) in known.items()
        if key in data
    ]
    if not leaves:
        return
    chosen = normalise_condition({"and": leaves}, where["filter"])
    data["filter"] = chosen if data["filter"] is None else {"and": [data["filter"], chosen]}


EVENT_TYPE_FIELDS = ("event_type_id", "event_type_slug", "event_type_name")
"""The booking fields an entry of the scheduling document's ``event_types`` may name."""


def _event_types(
    document: dict[str, Any], data: dict[str, Any], where: dict[str, str], problems: list[Problem]
) -> None:
    """The scheduling document's ``event_types``: the bookings of these event types only (each
    entry an event type's id, slug or name), added to the trigger's filter."""
    if "event_types" not in document:
        return
    chosen = document["event_types"]
    if not str(data.get("event", "")).startswith("booking."):
        problems.append(Problem("event_types", "event_types filters booking triggers only"))
        return
    names = chosen if isinstance(chosen, list) else None
    if not names or not all(isinstance(n, str | int) and not isinstance(n, bool) for n in names):
        message = "event_types lists event types by id, slug or name (at least one)"
        problems.append(Problem("event_types", message))
        return
    # One fact about the booking: its type is one of these, whichever way each one is named.
    values = [str(n) for n in names]
    matches = [{"field": f, "operator": "in", "value": values} for f in EVENT_TYPE_FIELDS]
    typed = normalise_condition({"or": matches}, "event_types")
    data["filter"] = typed if data["filter"] is None else {"and": [data["filter"], typed]}
    where["event_types"] = "event_types"


APPOINTMENT_TYPE_FIELDS = ("appointment_type", "appointment.appointment_type")
"""Where an appointment event carries its type: at the top of its data, or in ``appointment``."""


def _appointment_type(
    document: dict[str, Any], data: dict[str, Any], where: dict[str, str], problems: list[Problem]
) -> None:
    """The meeting engine's ``appointment_type``: only appointments of this type (given by id
    or name); null or absent, every type."""
    chosen = document.get("appointment_type")
    if chosen is None:
        return
    if not str(data.get("event", "")).startswith("appointment."):
        message = "appointment_type filters appointment triggers only"
        problems.append(Problem("appointment_type", message))
        return
    if not isinstance(chosen, str | int) or isinstance(chosen, bool) or chosen == "":
        problems.append(Problem("appointment_type", "an appointment type's id or name"))
        return
    matches = [{"field": f, "operator": "eq", "value": chosen} for f in APPOINTMENT_TYPE_FIELDS]
    typed = normalise_condition({"or": matches}, "appointment_type")
    data["filter"] = typed if data["filter"] is None else {"and": [data["filter"], typed]}
    where["appointment_type"] = "appointment_type"


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _meeting_relative(name: str, data: dict[str, Any], where: dict[str, str], path: str) -> None:
    """``before_meeting`` / ``after_meeting`` (with the document's ``delay_minutes``, read by the
    caller's document) → a date-relative trigger on ``booking.created``, cancelled with the
    booking; its wait follows a reschedule as every wait until an event's instant does."""
    kind, field = MEETING_TRIGGERS[name]
    data.pop("event", None)
    data.update(type=kind, event="booking.created", field=field)
    data.setdefault("cancel_on", ["booking.cancelled"])
    where.update(type=path, event=path, field=path)


def _date_relative(data: dict[str, Any], where: dict[str, str], base: str) -> None:
    """Date-relative triggers and ``delay`` → the trigger's ``start``: the configuration of the
    wait every run begins with (SPEC §2.5).

    ``{"start": {"before": "24h", "field": "start_time"}}`` (or ``after``), the shorthand
    ``{"type": "before", "field": "start_time", "offset": "24h"}``, and
    ``{"start": {"anniversary": "birthday", "at": "09:00"}}`` (or ``"type": "anniversary"``)
    become ``{"until": "{{ start_time }}", "offset": "-24h"}`` and
    ``{"anniversary": "{{ birthday }}", "at": "09:00"}``; ``{"delay": "1h"}`` becomes
    ``{"duration": "1h"}``. A canonical ``start`` stays as it is.
    """
    kind = data.get("type")
    start = data.get("start")
    start_path = where.get("start", join_path(base, "start"))
    if isinstance(kind, str) and kind in DATE_RELATIVE_KINDS and start is None:
        # The shorthand: the trigger itself says before/after/anniversary.
        amount = next((data.pop(k) for k in ("offset", "duration") if k in data), None)
        start = {kind: data.pop("field", None) if kind == "anniversary" else amount}
        if kind != "anniversary":
            start["field"] = data.pop("field", None)
        for key in ("if_past", "at"):
            if key in data:
                start[key] = data.pop(key)
        data["type"], start_path = "event", where.get("type", base)
    elif data.get("delay") is not None and start is None:
        start, start_path = {"duration": data.pop("delay")}, where.pop("delay")
        where["start.duration"] = start_path
    if start is None:
        return
    if isinstance(start, dict) and "anniversary" not in start:
        # The canonical keys point at what the author wrote: ``before`` is the offset.
        written = next((k for k in ("before", "after") if k in start), None)
        if written and start_path.startswith(join_path(base, "start")):
            where["start.offset"] = join_path(start_path, written)
            where["start.until"] = join_path(start_path, "field")
    data["start"] = _canonical_start(start) if isinstance(start, dict) else start
    where["start"] = start_path


def _canonical_start(start: dict[str, Any]) -> dict[str, Any]:
    start = dict(start)
    field = start.pop("field", None)
    if "anniversary" in start:
        if isinstance(start["anniversary"], str):
            start["anniversary"] = field_template(start["anniversary"])
        return start
    for key, sign in (("before", "-"), ("after", "")):
        if key not in start:
            continue
        amount = start.pop(key)
        start["until"] = field_template(field) if isinstance(field, str) else field
        start["offset"] = _signed(amount, sign)
    return start


def _signed(amount: Any, sign: str) -> Any:
    """``24h`` before → ``-24h``; an amount already signed or not text is kept for validation
    (a number of seconds is negated)."""
    if not sign:
        return amount
    if isinstance(amount, str) and amount.strip()[:1] not in ("+", "-", ""):
        return sign + amount.strip()
    if isinstance(amount, int | float) and not isinstance(amount, bool):
        return -amount
    if isinstance(amount, dict) and all(isinstance(v, int | float) for v in amount.values()):
        return {k: -v for k, v in amount.items()}
    return amount


_IF_PAST = ("continue", "skip")


def timing_problems(trigger: Trigger, where: Callable[[str], str]) -> list[Problem]:
    """Problems of a schedule trigger's spec and of any trigger's ``start`` (its leading wait);
    ``where`` turns canonical paths into submitted ones."""
    problems: list[Problem] = []
    if trigger.type == "schedule":
        problems += schedule_problems(trigger.model_dump(), where)
    start = trigger.start
    if start is None:
        return problems
    keys = [k for k in ("until", "duration", "anniversary") if start.get(k) not in (None, "")]
    if len(keys) != 1:
        message = "start needs one of before/after (with field), anniversary or a delay"
        return [*problems, Problem(where("trigger.start"), message)]
    if keys == ["duration"] or "offset" in start:
        key = "duration" if keys == ["duration"] else "offset"
        if not has_expression(start[key]):
            try:
                parse_duration(start[key], where(f"trigger.start.{key}"))
            except DefinitionError as exc:
                problems += exc.problems
    for key in ("until", "anniversary"):
        if key in start and not isinstance(start[key], str):
            problems.append(Problem(where(f"trigger.start.{key}"), "name a field of the event"))
    if start.get("if_past", "continue") not in _IF_PAST:
        problems.append(Problem(where("trigger.start.if_past"), "if_past is continue or skip"))
    at = start.get("at")
    if at is not None and anniversary_time(at) is None:
        problems.append(Problem(where("trigger.start.at"), 'at is a time of day such as "09:00"'))
    return problems


def anniversary_time(value: Any) -> time | None:
    """``"09:00"`` → 09:00; None when it is no time of day."""
    if not isinstance(value, str):
        return None
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        return None
