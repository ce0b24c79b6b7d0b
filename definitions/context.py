"""The run context templates and conditions read (SPEC §2.3), built from plain data."""

from __future__ import annotations

import re
from typing import Any

from definitions.templates import SECRETS_PLACEHOLDER

# Names the engine owns; an event field with the same name stays reachable as event.data.<name>.
RESERVED = frozenset(
    {"event", "previous", "workflow", "run", "steps", "vars", "secrets", "now", "today"}
)


PROFILE_NAMES = ("tenant", "firm")
"""The tenant's profile in templates: ``{{ tenant.name }}``, and ``{{ firm.name }}`` as the
meeting engine's document writes it (its firm is Relay's tenant). The event's own fields of
those names win, as they do over derived fields."""


def build_context(
    trigger: dict[str, Any],
    *,
    workflow: dict[str, Any],
    run: dict[str, Any],
    tenant: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """``trigger`` is the event as stored: ``type``, ``id``, ``occurred_at``, ``entity``, ``data``
    and optionally ``previous`` (prior values on update events).

    The API adds what the event type's catalog entry gives, when it has one: ``derived`` (fields
    computed from the payload, at top level beside the data's own, which win) and ``roles``
    (recipient role → addresses, as ``event.roles``). Triggers without them — every run
    recorded before the catalog — build the same context as before.
    """
    data = trigger.get("data") or {}
    derived = trigger.get("derived") or {}
    every = {**derived, **custom_answer_fields(data), **data}
    context: dict[str, Any] = {k: v for k, v in every.items() if k not in RESERVED}
    event: dict[str, Any] = {
        "type": trigger.get("type"),
        "id": trigger.get("id"),
        "occurred_at": trigger.get("occurred_at"),
        "entity": trigger.get("entity"),
        "data": data,
    }
    if trigger.get("roles") is not None:
        event["roles"] = trigger["roles"]
    context.update(
        event=event,
        previous=trigger.get("previous") or {},
        workflow=workflow,
        run=run,
        steps={},
        vars={},
        secrets=SECRETS_PLACEHOLDER,
    )
    for name in PROFILE_NAMES:
        context.setdefault(name, dict(tenant or {}))
    return context


CUSTOM_ANSWERS = "custom_answers"
CUSTOM_PREFIX = "custom_"
_NOT_A_NAME = re.compile(r"[^0-9a-z]+")


def custom_answer_fields(data: Any) -> dict[str, Any]:
    """The scheduling document's ``custom_{key}`` fields: each of the data's ``custom_answers``
    (an object of question → answer, or a list of ``{question|key|name, answer|value}``) at top
    level as ``custom_`` and the question in lower case with ``_`` between its words, so the
    "Company" question reads as ``{{ custom_company }}``. The data's own fields win."""
    answers = data.get(CUSTOM_ANSWERS) if isinstance(data, dict) else None
    if isinstance(answers, list):
        answers = dict(_answer_pair(item) for item in answers if _answer_pair(item)[0])
    if not isinstance(answers, dict):
        return {}
    fields = {}
    for question, answer in answers.items():
        key = _NOT_A_NAME.sub("_", str(question).strip().lower()).strip("_")
        if key:
            fields[CUSTOM_PREFIX + key] = answer
    return fields


def _answer_pair(item: Any) -> tuple[str, Any]:
    if not isinstance(item, dict):
        return "", None
    question = next((item[k] for k in ("key", "question", "name") if item.get(k)), "")
    return str(question), next((item[k] for k in ("answer", "value") if k in item), None)


def event_context(event: dict[str, Any]) -> dict[str, Any]:
    """The context a trigger's ``filter`` and ``entity`` are evaluated in: the event alone."""
    return build_context(event, workflow={}, run={})
