"""Request and response bodies of the v1 API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from api.inputs import JsonObject, Key, Text, UtcDatetime

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


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


class RunStarted(BaseModel):
    id: str
    workflow_id: str
    version: int
    status: str = Field(description="'started', or 'duplicate' when this event already started it")


class EventAccepted(BaseModel):
    event_id: str
    runs: list[RunStarted]
    signalled: list[str] = Field(
        default_factory=list, description="ids of the waiting runs this event was delivered to"
    )


class ExecuteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: JsonObject = Field(default_factory=dict)
    entity: Text | None = None
    idempotency_key: Key | None = None


class WorkflowOut(BaseModel):
    id: str
    name: str
    description: str
    status: str
    trigger_type: str
    version: int
    active_version: int | None
    definition: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class VersionOut(BaseModel):
    version: int
    created_at: datetime
    definition: dict[str, Any] = Field(description="the canonical graph runs of it execute")
    source: dict[str, Any] | None = Field(
        default=None, description="the document as submitted (what export answers)"
    )


class ProblemOut(BaseModel):
    path: str = Field(description="where in the submitted document: steps[1].to")
    message: str


class ValidationOut(BaseModel):
    valid: bool = Field(description="no errors (warnings do not count): it can be activated")
    errors: list[ProblemOut]
    warnings: list[ProblemOut]


MAX_VERSION = 2**31 - 1
"""The largest version number a column holds; larger ones are 422, not a database error."""


class RollbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(
        ge=1, le=MAX_VERSION, description="the version whose document becomes the new one"
    )


class DuplicateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Key | None = Field(default=None, description='default: "<name> (copy)"')


class Change(BaseModel):
    keys: list[str]
    from_: dict[str, Any] = Field(alias="from")
    to: dict[str, Any]

    model_config = ConfigDict(populate_by_name=True)


class NodeChange(Change):
    id: str


class NodeDiff(BaseModel):
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]
    changed: list[NodeChange]


class EdgeDiff(BaseModel):
    added: list[dict[str, Any]]
    removed: list[dict[str, Any]]


class DiffOut(BaseModel):
    """What changed from version ``from`` to version ``to``, in their canonical graphs."""

    model_config = ConfigDict(populate_by_name=True)

    from_: int = Field(alias="from")
    to: int
    changed: bool
    fields: dict[str, dict[str, Any]] = Field(description="name, description: {from, to}")
    trigger: Change | None
    settings: Change | None
    nodes: NodeDiff
    edges: EdgeDiff


class StepOut(BaseModel):
    node_id: str
    step_key: str | None = Field(
        default=None, description="unique in the run: node id, loop index [i], pass #n"
    )
    type: str
    status: str
    attempts: int
    started_at: datetime | None
    completed_at: datetime | None
    duration_ms: int | None = Field(default=None, description="completed_at - started_at")
    output: Any = Field(description="secrets masked; long texts and lists truncated")
    error: dict[str, Any] | None = Field(
        description="type, message and retryable (whether retrying could have helped)"
    )


class RunOut(BaseModel):
    id: str
    workflow_id: str
    version: int
    status: str
    entity: str | None
    started_at: datetime
    completed_at: datetime | None
    duration_ms: int | None = None
    trigger: dict[str, Any] | None = Field(
        description="the trigger event: type, id and — in one run's detail — occurred_at, "
        "entity and data (truncated)"
    )
    error: dict[str, Any] | None
    variant: str | None = Field(default=None, description="the variant an A/B split took")
    goal: str | None = Field(default=None, description="the goal node the run reached")
    retry_of: str | None = Field(default=None, description="the run this one retries")
    steps_completed: int = Field(default=0, description="steps that completed")
    steps_failed: int = Field(
        default=0,
        description="steps that failed; a run with failed steps did not succeed, even when "
        "it went on past them (on_error: continue) and ended completed",
    )
    steps_skipped: int = Field(default=0, description="steps that were skipped")
    path: list[str] | None = Field(
        default=None, description="the step keys in the order the run took them"
    )
    steps: list[StepOut] | None = None


class RetryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    idempotency_key: Key | None = Field(
        default=None, description="one retry per key; without one every call retries again"
    )


class DeliveryOut(BaseModel):
    id: int
    run_id: str
    step_key: str
    channel: str
    transport: str
    recipient: str
    status: str
    receipt: dict[str, Any] | None
    created_at: datetime
