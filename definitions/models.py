"""The canonical definition document: a graph of nodes joined by labelled edges.

Every accepted input shape (the steps list, the graph, the reference documents' own formats) is
normalised into these models by ``definitions.normalise``; everything downstream — validation,
the interpreter, the API — reads only this form.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

START = "trigger"
"""The implicit node every graph starts from."""

TRIGGER_TYPES = frozenset({"event", "manual", "schedule", "webhook"})


class RetrySpec(BaseModel):
    """Per-step override of the default retry policy (SPEC §3)."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(default=5, ge=1, le=100)
    initial_interval: float = Field(default=1.0, gt=0, description="seconds")
    backoff: float = Field(default=2.0, ge=1.0)
    max_interval: float = Field(default=60.0, gt=0, description="seconds")


class Node(BaseModel):
    """One step of the graph. Type-specific fields (``to``, ``subject``, ``duration``…) live in
    ``config``; the fields every node shares are first-class. What each type is and accepts is
    declared in the node-type registry, ``definitions.nodes``."""

    model_config = ConfigDict(extra="forbid")

    # Bounded so that ids and types fit the run-step columns that record them.
    id: str = Field(min_length=1, max_length=100)
    type: str = Field(min_length=1, max_length=64)
    name: str | None = None
    config: dict[str, Any] = Field(default_factory=dict)
    when: dict[str, Any] | None = None
    retry: RetrySpec | None = None
    timeout: float | None = Field(default=None, gt=0, description="seconds per attempt")
    on_error: str | None = None
    output: str | None = None


class Edge(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    source: str = Field(alias="from")
    target: str = Field(alias="to")
    when: str | None = None


class Trigger(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: str = "event"
    event: str | None = Field(default=None, max_length=200)
    filter: dict[str, Any] | None = None
    entity: str | None = None
    priority: int = 0
    cancel_on: list[str] = Field(default_factory=list)
    start: dict[str, Any] | None = None
    """The wait every run begins with: ``delay`` and the date-relative triggers (before/after a
    field of the event, its anniversary), normalised by ``definitions.triggers``."""


class Settings(BaseModel):
    model_config = ConfigDict(extra="allow")

    on_error: Literal["continue", "stop"] = "continue"
    timezone: str = "UTC"


class Definition(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    trigger: Trigger = Field(default_factory=Trigger)
    nodes: list[Node]
    edges: list[Edge]
    settings: Settings = Field(default_factory=Settings)

    def canonical(self) -> dict[str, Any]:
        """The JSON stored in a version and pinned into a run."""
        return self.model_dump(by_alias=True, exclude_none=True)
