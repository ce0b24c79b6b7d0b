"""Workflows: definitions, versions and their diffs, validation, copies and manual runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.storable import JsonObject, Key, Text, VersionMessage

MAX_VERSION = 2**31 - 1
"""The largest version number a column holds; larger ones are 422, not a database error."""


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
    message: str | None = Field(default=None, description="what the author said it changes")
    definition: dict[str, Any] = Field(description="the canonical graph runs of it execute")
    source: dict[str, Any] | None = Field(
        default=None, description="the document as submitted (what export answers)"
    )


class ExecuteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    input: JsonObject = Field(default_factory=dict)
    input_data: JsonObject | None = Field(
        default=None, description="the ERP document's name for input (give one of the two)"
    )
    entity: Text | None = None
    idempotency_key: Key | None = None


class RollbackIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    version: int = Field(
        ge=1, le=MAX_VERSION, description="the version whose document becomes the new one"
    )
    message: VersionMessage | None = Field(
        default=None, description='the new version\'s message; "Rollback to version N" if none'
    )


class DuplicateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Key | None = Field(default=None, description='default: "<name> (copy)"')


class ProblemOut(BaseModel):
    path: str = Field(description="where in the submitted document: steps[1].to")
    message: str


class ValidationOut(BaseModel):
    valid: bool = Field(description="no errors (warnings do not count): it can be activated")
    errors: list[ProblemOut]
    warnings: list[ProblemOut]
    definition: dict[str, Any] | None = Field(
        default=None,
        description="with ?canonical=true: the document in canonical form (nodes + edges), "
        "when it normalised — what an editor draws",
    )


class NodeTypeOut(BaseModel):
    name: str = Field(description="the canonical type name")
    family: str = Field(description="actions, records, branching, waits, loops, calls, control")
    kind: str = Field(description="how it is drawn: action, branch, wait, flow, goal, stop")
    aliases: list[str]
    labels: list[str] = Field(description="the labelled edges that may leave it")
    plain_edge: bool = Field(description="an unlabelled edge (the next step) may leave it")
    branch_list: str | None = Field(
        description="a config list whose items' names are edge labels too (cases, variants)"
    )
    needs: list[list[str]] = Field(description="at least one key of each group has a value")
    flow_keys: list[str] = Field(description="keys holding inline sub-flows (drawn as edges)")
    schema_: dict[str, Any] = Field(alias="schema", description="JSON Schema of its config")

    model_config = ConfigDict(populate_by_name=True)


class OperatorOut(BaseModel):
    name: str = Field(description="the canonical operator name")
    label: str = Field(description="what it does, in words")
    kinds: list[str] = Field(description="the kinds of field it compares (text, number, ...)")
    value: str = Field(description="its value: none, one, list, pair, days or pattern")
    ignore_case: bool = Field(description="ignore_case changes what it does")


class NodeTypesOut(BaseModel):
    types: list[NodeTypeOut]
    common: dict[str, Any] = Field(description="JSON Schema of the keys every step has")
    trigger: dict[str, Any] = Field(description="JSON Schema of the trigger")
    operators: list[OperatorOut] = Field(description="the condition operators, for editors")


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


class SchedulePreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    trigger: JsonObject = Field(
        description='a schedule trigger\'s keys: {"cron": "0 9 * * MON", "timezone": "UTC"}'
    )
    count: int = Field(default=5, ge=1, le=50, description="how many fire times")


class SchedulePreviewOut(BaseModel):
    timezone: str
    times: list[datetime] = Field(description="the next fire times, UTC, earliest first")
