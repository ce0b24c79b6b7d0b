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

ACTION_TYPES = frozenset({"send_email", "send_sms", "http_request", "slack", "activity"})
# The record store's actions and in-app notifications (activities.record_actions).
ACTION_TYPES |= frozenset(
    {
        "create_record", "update_record", "delete_record", "query_records", "add_tag",
        "remove_tag", "add_to_list", "remove_from_list", "add_note", "notify",
    }
)  # fmt: skip
ACTION_TYPES |= frozenset({"export"})  # a CSV of records, stored and linked (activities.export)
FLOW_TYPES = frozenset(
    {
        "condition", "switch", "wait", "wait_for_event", "wait_condition", "for_each",
        "parallel", "split", "goal", "sub_workflow", "set", "stop",
    }
)  # fmt: skip
NODE_TYPES = ACTION_TYPES | FLOW_TYPES
WAIT_TYPES = frozenset({"wait", "wait_for_event", "wait_condition"})
"""Nodes that pause a run; a cycle must pass through one of them."""

EDGE_LABELS = frozenset(
    {"true", "false", "error", "received", "timeout", "body", "branch", "default"}
)
"""Labels any node may use; a switch adds its case names and a split its variant names."""
STOP_STATUSES = frozenset({"completed", "failed", "cancelled", "skipped", "goal_reached"})
TRIGGER_TYPES = frozenset({"event", "manual", "schedule", "webhook"})

# The labels of the edges that may leave a node of each type (None: the unlabelled edge).
# A switch and a split add the names of their cases and variants (``Node.edge_labels``).
_LEAVING: dict[str, frozenset[str | None]] = {
    "condition": frozenset({"true", "false", "error"}),
    "sub_workflow": frozenset({None, "error"}),
    "wait_for_event": frozenset({None, "received", "timeout"}),
    "wait_condition": frozenset({None, "timeout"}),
    "for_each": frozenset({None, "body"}),
    "parallel": frozenset({None, "branch"}),
    "switch": frozenset({"default"}),
    "split": frozenset({None}),
    **{action: frozenset({None, "error"}) for action in ACTION_TYPES},
}


class RetrySpec(BaseModel):
    """Per-step override of the default retry policy (SPEC §3)."""

    model_config = ConfigDict(extra="forbid")

    max_attempts: int = Field(default=5, ge=1, le=100)
    initial_interval: float = Field(default=1.0, gt=0, description="seconds")
    backoff: float = Field(default=2.0, ge=1.0)
    max_interval: float = Field(default=60.0, gt=0, description="seconds")


class Node(BaseModel):
    """One step of the graph. Type-specific fields (``to``, ``subject``, ``duration``…) live in
    ``config``; the fields every node shares are first-class."""

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

    def edge_labels(self) -> frozenset[str | None]:
        """The labels an edge leaving this node may carry (None: the unlabelled edge)."""
        labels = _LEAVING.get(self.type, frozenset({None}))
        return labels | frozenset(self.branch_names())

    def branch_names(self) -> list[str]:
        """A switch's case names or a split's variant names, in order; [] for other types."""
        key = {"switch": "cases", "split": "variants"}.get(self.type)
        items = self.config.get(key) if key else None
        if not isinstance(items, list):
            return []
        return [i["name"] for i in items if isinstance(i, dict) and isinstance(i.get("name"), str)]


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
