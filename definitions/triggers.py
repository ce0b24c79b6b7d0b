"""The trigger of a definition (SPEC §2.5), in every shape the reference documents write it."""

from __future__ import annotations

from typing import Any

from definitions.aliases import TRIGGER_KIND_ALIASES, canonical_event_type
from definitions.conditions import normalise_condition
from definitions.errors import DefinitionError, Problem, join_path
from definitions.locating import pydantic_problems
from definitions.models import Trigger


def normalise_trigger(
    document: dict[str, Any], fields: dict[str, str], problems: list[Problem]
) -> Trigger | None:
    """The canonical trigger of ``document``; records paths in ``fields``, problems in ``problems``.

    A string is an event type (or a trigger kind: ``manual``, ``schedule``…); an object may nest
    its settings under ``config``/``configuration`` and name its event ``event_type`` or
    ``trigger_type``. No trigger at all is a manual one.
    """
    base = next((k for k in ("trigger", "trigger_type") if document.get(k) is not None), None)
    if base is None:
        return Trigger(type="manual")
    raw = document[base]
    fields["trigger"] = base
    if isinstance(raw, str):  # just the event type (or kind), as the scheduling document has it
        data: dict[str, Any] = {"event": raw}
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
    if isinstance(event, str):
        kind = TRIGGER_KIND_ALIASES.get(event.strip().lower())
        if kind is not None:  # trigger_type "manual" / "schedule" names a kind, not an event
            data.pop("event", None)
            data.setdefault("type", kind)
        else:
            data["event"] = canonical_event_type(event)
            data.setdefault("type", "event")
        where.setdefault("type", where[keys[0]])
        where["event"] = where[keys[0]]
    filter_key = next((k for k in ("filter", "conditions") if k in data), "filter")
    filter_path = where.get(filter_key, join_path(base, filter_key))
    try:
        data["filter"] = normalise_condition(data.pop(filter_key, None), filter_path)
    except DefinitionError as exc:
        problems.extend(exc.problems)
        data["filter"] = None
    where["filter"] = filter_path
    if isinstance(data.get("cancel_on"), list):
        data["cancel_on"] = [
            canonical_event_type(e) if isinstance(e, str) else e for e in data["cancel_on"]
        ]
    fields.update({f"trigger.{k}": p for k, p in where.items()})
    try:
        return Trigger.model_validate(data)
    except ValueError as exc:
        problems.extend(pydantic_problems(exc, base, where))
        return None
