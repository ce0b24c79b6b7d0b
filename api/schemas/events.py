"""Events: what ``POST /v1/events`` takes and answers, and what ``GET /v1/events/{id}`` shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from api.schemas.runs import RunStarted
from api.storable import JsonObject, Key, Text, UtcDatetime
from runs.intake import received
from workflows.trigger_event import TriggerEvent


class EventChain(BaseModel):
    """Set on an event a run emits (``definitions.chain``): the run's chain depth and id."""

    model_config = ConfigDict(extra="forbid")

    depth: int = Field(ge=0, le=1000)
    origin_run: Key | None = None


class EventIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: Key
    id: Key | None = None
    entity: Text | None = None
    occurred_at: UtcDatetime | None = None
    data: JsonObject = Field(default_factory=dict)
    previous: JsonObject | None = None
    chain: EventChain | None = Field(
        default=None,
        description="for events a run posts: its chain (runs started past the depth limit "
        "do not start)",
    )

    def trigger_event(self) -> TriggerEvent:
        return received(
            self.type,
            id=self.id,
            occurred_at=self.occurred_at,
            entity=self.entity,
            data=self.data,
            previous=self.previous,
        )


MAX_EVENTS = 500


_EVENT_LIST = TypeAdapter(list[EventIn])


EVENTS_SCHEMA = {
    "anyOf": [
        EventIn.model_json_schema(),
        {"type": "array", "items": EventIn.model_json_schema(), "maxItems": MAX_EVENTS},
    ]
}


def parse_events(body: Any) -> EventIn | list[EventIn]:
    """One event or a list of them, with errors at paths into the body (``[2].data``)."""
    try:
        if not isinstance(body, list):
            return EventIn.model_validate(body)
        if len(body) > MAX_EVENTS:
            raise RequestValidationError(
                [{"loc": ("body",), "msg": f"at most {MAX_EVENTS} events per request"}]
            )
        return _EVENT_LIST.validate_python(body)
    except ValidationError as exc:
        errors = [{"loc": ("body", *e["loc"]), "msg": e["msg"]} for e in exc.errors()]
        raise RequestValidationError(errors) from exc


class EventAccepted(BaseModel):
    # Serialises ``runs.intake.Accepted`` (no docstring: it would change the OpenAPI document).
    model_config = ConfigDict(from_attributes=True)

    event_id: str
    runs: list[RunStarted]
    signalled: list[str] = Field(
        default_factory=list, description="ids of the waiting runs this event was delivered to"
    )
    error: str | None = Field(
        default=None,
        description="in a list: why this stored event was not fully handled (Temporal was "
        "unreachable to cancel or signal runs); post it again under its id",
    )


class OutcomeOut(BaseModel):
    workflow_id: str
    outcome: str = Field(
        description="started · deferred (started, beginning at the next window of the "
        "trigger's rate_limit) · pending (stored; Temporal could not take the start now, a "
        "worker's recoverer starts it within seconds or fails the run) · failed (the recoverer "
        "gave up starting it; the detail says why) · duplicate (this "
        "event started it before) · deduped (another "
        "event with the same dedupe key did) · filtered_out · reenroll_refused · rate_limited "
        "(dropped by the rate_limit) · chain_depth_exceeded (a run emitted it too deep in a "
        "chain of runs starting each other) · cancelled (its open runs for the entity, by "
        "cancel_on)"
    )
    run_id: str | None
    detail: str


class EventOut(BaseModel):
    id: str
    type: str
    entity: str | None
    occurred_at: datetime
    received_at: datetime
    data: dict[str, Any]
    runs: list[str] = Field(description="the runs this event started (or would have, again)")
    outcomes: list[OutcomeOut] = Field(
        description="per workflow listening to the event's type: what the event did to it"
    )
    note: str | None = Field(default=None, description="why no workflow was considered")
