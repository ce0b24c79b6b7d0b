"""Simulations (``POST /v1/workflows/{id}/test``, ``/bulk-test``): scripted events in, the
simulated run out.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from api.schemas.workflows import MAX_VERSION
from api.storable import JsonObject, Key, Text, storable_text

MAX_SCRIPTED_EVENTS = 100


MAX_BULK = 50

MAX_MOCKS = 100
FailureMessage = Annotated[
    str, StringConstraints(min_length=1, max_length=1000), AfterValidator(storable_text)
]
"""What a mocked failure says, as the step's error message."""


class TestEventIn(BaseModel):
    """The event that starts the run; without ``data``, sample data stands in."""

    model_config = ConfigDict(extra="forbid")

    type: Key | None = Field(default=None, description="default: the trigger's event type")
    id: Key | None = None
    entity: Text | None = None
    data: JsonObject | None = None
    previous: JsonObject | None = None


class ScriptedEventIn(BaseModel):
    """An event that arrives during the simulation, for waits, conditions and goals."""

    model_config = ConfigDict(extra="forbid")

    at: str | float = Field(
        default=0, description='after the start ("P2D", "48h", seconds) or an ISO 8601 instant'
    )
    type: Key
    id: Key | None = None
    entity: Text | None = Field(default=None, description="default: the run's entity")
    data: JsonObject = Field(default_factory=dict)
    previous: JsonObject | None = None


class StoredRecordIn(BaseModel):
    """A stored record whose fields are the test's event data (as its change events carry them)."""

    model_config = ConfigDict(extra="forbid")

    type: Key
    id: Key


MODE_ALIASES = {"mock_data": "mock", "real_data": "real", "live_test": "live"}
"""The scheduling document's test types → Relay's modes."""


class TestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["simulate", "mock", "real", "live", "mock_data", "real_data", "live_test"] = (
        Field(
            default="simulate",
            description="simulate or mock: simulated, with the given event or sample data; "
            "real: simulated with a stored event (event_id) or record (record) as the data; "
            "live: a real run. mock_data, real_data, live_test: the same, by the scheduling "
            "document's names",
        )
    )
    event: TestEventIn | None = None
    event_id: Key | None = Field(default=None, description="real/live: a stored event's id")
    record: StoredRecordIn | None = Field(default=None, description="real/live: a stored record")
    events: list[ScriptedEventIn] = Field(default_factory=list, max_length=MAX_SCRIPTED_EVENTS)
    outputs: JsonObject = Field(
        default_factory=dict,
        description="node id → what its action returns in the simulation (a mocked response)",
    )
    failures: dict[Key, FailureMessage] = Field(
        default_factory=dict,
        max_length=MAX_MOCKS,
        description="node id → the message its action fails with in the simulation (at once, "
        "no retry): its error branch or on_error, tried",
    )
    version: int | None = Field(default=None, ge=1, le=MAX_VERSION)
    idempotency_key: Key | None = Field(default=None, description="live runs: one run per key")

    @model_validator(mode="after")
    def _live_takes_no_script(self) -> TestIn:
        self.mode = MODE_ALIASES.get(self.mode, self.mode)  # type: ignore[assignment]
        if self.mode == "live" and (self.events or self.outputs or self.failures):
            raise ValueError(
                "'events', 'outputs' and 'failures' script a simulation; a live run takes none"
            )
        stored = [k for k in ("event_id", "record") if getattr(self, k) is not None]
        if self.mode == "real" and (len(stored) != 1 or self.event is not None):
            raise ValueError("a real test takes one of event_id or record (and no event)")
        if stored and (self.mode in ("simulate", "mock") or self.event is not None):
            raise ValueError(f"{stored[0]} is the data of a real or live test, without event")
        return self


class DraftTestIn(BaseModel):
    """A draft's simulation: the document itself, with the event, script and mocks of a test."""

    model_config = ConfigDict(extra="forbid")

    definition: JsonObject = Field(description="a definition document (SPEC §2), not stored")
    workflow_id: Key | None = Field(
        default=None, description="the stored workflow the draft edits, if any (for its context)"
    )
    event: TestEventIn | None = None
    events: list[ScriptedEventIn] = Field(default_factory=list, max_length=MAX_SCRIPTED_EVENTS)
    outputs: JsonObject = Field(
        default_factory=dict,
        description="node id → what its action returns in the simulation (a mocked response)",
    )
    failures: dict[Key, FailureMessage] = Field(
        default_factory=dict,
        max_length=MAX_MOCKS,
        description="node id → the message its action fails with in the simulation (at once, "
        "no retry): its error branch or on_error, tried",
    )


class BulkTestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    workflow_ids: list[Key] = Field(min_length=1, max_length=MAX_BULK)
    event: TestEventIn | None = None
    events: list[ScriptedEventIn] = Field(default_factory=list, max_length=MAX_SCRIPTED_EVENTS)


class SimulatedStepOut(BaseModel):
    step_key: str = Field(description="node id, [i] in a loop, #n on a later pass, sub-run/…")
    node_id: str
    type: str
    status: str
    at: str = Field(description="when it started, after the run's start (ISO 8601 duration)")
    offset_seconds: float
    ended: str | None = Field(description="when it ended, after the run's start")
    output: Any
    error: dict[str, Any] | None
    content: dict[str, Any] | None = Field(
        default=None, description="what the action would send; secrets stay placeholders"
    )


class DeliveredEventOut(BaseModel):
    id: str
    type: str
    at: str
    offset_seconds: float


class SimulationOut(BaseModel):
    workflow_id: str
    version: int
    mode: Literal["simulate", "mock", "real"] = "simulate"
    status: str = Field(description="how the run ended; 'waiting' if still waiting after a year")
    error: dict[str, Any] | None
    variant: str | None
    goal: str | None
    path: list[str] = Field(description="the node ids the run visited, in order")
    started_at: str = Field(description="the simulated start (the test server's clock)")
    ended_at: str
    duration: str = Field(description="simulated time from start to end (ISO 8601)")
    steps: list[SimulatedStepOut]
    events: list[DeliveredEventOut] = Field(description="scripted events, when they arrived")
    trigger: dict[str, Any] = Field(description="the starting event: type, entity, data")
    sample_data: bool = Field(description="the event's data was generated, not given")
    vars: dict[str, Any]
    wall_seconds: float


class BulkTestOut(BaseModel):
    results: list[SimulationOut]


MAX_TEMPLATE_CHARS = 100_000
"""A template to preview: as long as the longest output a template may render."""
TemplateText = Annotated[
    str, StringConstraints(max_length=MAX_TEMPLATE_CHARS), AfterValidator(storable_text)
]


class TemplatePreviewIn(BaseModel):
    """One template rendered as a run of the draft would render it (``POST
    /v1/workflows/render-template``): the builder's live preview under a template field."""

    model_config = ConfigDict(extra="forbid")

    template: TemplateText
    definition: JsonObject | None = Field(
        default=None,
        description="the draft (only its name and trigger are read, so a draft with errors "
        "elsewhere still previews)",
    )
    event_type: Key | None = Field(default=None, description="default: the trigger's event type")
    data: JsonObject | None = Field(
        default=None,
        description="the event's data; without it, the sample data a simulation would use",
    )
    workflow_id: Key | None = Field(default=None, description="the stored workflow the draft edits")


class TemplatePreviewOut(BaseModel):
    text: str = Field(description="what the template renders to, as text")
    value: Any = Field(
        description="the native value when the template is one expression (a list, a number)"
    )
    sample_data: bool = Field(description="the event's data was generated, not given")
