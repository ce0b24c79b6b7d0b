"""The event that starts a run (SPEC §2.3), as one typed value, and the run's entity.

A run receives its trigger event as a plain dict (``RunInput.trigger``, kept a dict because it is
in recorded histories); every place that starts a run builds that dict from a ``TriggerEvent``
(``as_dict``), so its keys are written in one place. Pure and deterministic: "now" and ids are
the caller's (``runs.intake.received`` fills them for arriving events).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from definitions.context import event_context
from definitions.errors import TemplateRenderError
from definitions.templates import render

MAX_KEY = 200
"""The longest run key part or entity a rendered template yields (longer ones are cut)."""

_RUN_ONLY = ("derived", "roles", "chain")


@dataclass
class TriggerEvent:
    """``type``, ``id``, ``occurred_at`` (ISO 8601), ``entity``, ``data``, ``previous`` (prior
    values on update events); for a run an event starts also its ``chain`` and what the event
    catalog adds (``derived`` fields, recipient ``roles``)."""

    type: str
    id: str | None
    occurred_at: str | None
    entity: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    previous: dict[str, Any] | None = None
    chain: dict[str, Any] | None = None
    derived: dict[str, Any] | None = None
    roles: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """The trigger as ``RunInput.trigger`` carries it; the optional parts only when set."""
        trigger: dict[str, Any] = {
            "type": self.type,
            "id": self.id,
            "occurred_at": self.occurred_at,
            "entity": self.entity,
            "data": self.data,
            "previous": self.previous,
        }
        for name in _RUN_ONLY:
            if (value := getattr(self, name)) is not None:
                trigger[name] = value
        return trigger

    def signalled(self) -> dict[str, Any]:
        """The event as a waiting run receives it: without the catalog's additions and the
        chain, which belong to the run the event starts."""
        return {k: v for k, v in self.as_dict().items() if k not in _RUN_ONLY}

    @classmethod
    def from_dict(cls, trigger: dict[str, Any]) -> TriggerEvent:
        """The inverse of ``as_dict`` (missing keys are None; the data an empty object)."""
        return cls(
            type=str(trigger["type"]),
            id=trigger.get("id"),
            occurred_at=trigger.get("occurred_at"),
            entity=trigger.get("entity"),
            data=dict(trigger.get("data") or {}),
            previous=trigger.get("previous"),
            chain=trigger.get("chain"),
            derived=trigger.get("derived"),
            roles=trigger.get("roles"),
        )


def run_entity(entity_template: str | None, event: dict[str, Any]) -> str | None:
    """The run's entity: the trigger's ``entity`` template rendered for ``event``, else the
    event's own entity (None when neither gives one)."""
    if entity_template:
        try:
            value = render(entity_template, event_context(event))
        except TemplateRenderError:
            value = None
        if value not in (None, ""):
            return str(value)[:MAX_KEY]
    entity = event.get("entity")
    return str(entity) if entity not in (None, "") else None
