"""The run context templates and conditions read (SPEC §2.3), built from plain data."""

from __future__ import annotations

from typing import Any

from definitions.templates import SECRETS_PLACEHOLDER

# Names the engine owns; an event field with the same name stays reachable as event.data.<name>.
RESERVED = frozenset(
    {"event", "previous", "workflow", "run", "steps", "vars", "secrets", "now", "today"}
)


def build_context(
    trigger: dict[str, Any], *, workflow: dict[str, Any], run: dict[str, Any]
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
    context: dict[str, Any] = {k: v for k, v in {**derived, **data}.items() if k not in RESERVED}
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
    return context


def event_context(event: dict[str, Any]) -> dict[str, Any]:
    """The context a trigger's ``filter`` and ``entity`` are evaluated in: the event alone."""
    return build_context(event, workflow={}, run={})
