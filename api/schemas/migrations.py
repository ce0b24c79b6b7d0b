"""Migrations: moving a workflow's runs in flight to another of its versions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.workflows import MAX_VERSION
from api.storable import Key, Text, UtcDatetime

AllOlder = Literal["all_older"]


class MigrationFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["running", "waiting"] | None = None
    entity: Text | None = None
    started_before: UtcDatetime | None = None


class MigrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_version: Annotated[int, Field(ge=1, le=MAX_VERSION)] | AllOlder = Field(
        description="the version whose runs move, or 'all_older': every version before to_version"
    )
    to_version: int = Field(ge=1, le=MAX_VERSION)
    mode: Literal["dry_run", "apply"] = Field(
        default="dry_run",
        description="dry_run answers each run's move now; apply moves them (202), in batches",
    )
    filter: MigrationFilter = Field(default_factory=MigrationFilter)
    map: dict[Key, Key] = Field(
        default_factory=dict, description="old node id → the node of to_version it continues at"
    )
    batch_size: int = Field(default=500, ge=1, le=5000, description="runs planned per batch")
    rate: float = Field(
        default=1000.0, gt=0, le=100_000, description="runs signalled per second, at most"
    )


class PlannedRunOut(BaseModel):
    """One run's move: where it is and where it would continue, or why it cannot move."""

    run_id: str
    version: int
    status: str = Field(description="the run's status (waiting, running)")
    node_id: str | None = Field(description="the step the run is at")
    continues_at: str | None = Field(description="the node of to_version it continues at")
    wait: Literal["kept", "recomputed"] | None = Field(
        default=None,
        description="kept: the wait's remaining time; recomputed: the new wait's, counted from "
        "when the old one began",
    )
    after: str | None = Field(
        default=None, description="it moves once it has left this loop or parallel node"
    )
    cannot_move: bool
    reason: str | None = Field(
        default=None,
        description="node_removed, type_changed, enclosing_shape_changed, target_enclosed, "
        "nothing_after, mid_action, not_in_flow, ended, superseded",
    )
    detail: str | None = None


class DryRunOut(BaseModel):
    mode: Literal["dry_run"] = "dry_run"
    from_version: int | AllOlder
    to_version: int
    runs: list[PlannedRunOut]
    movable: int
    cannot_move: int
    more: bool = Field(description="more runs match than a dry run lists (1000)")


class MigrationRunOut(BaseModel):
    run_id: str
    from_version: int
    to_version: int
    status: Literal["signalled", "moved", "cannot_move"]
    node_id: str | None
    continues_at: str | None
    wait: str | None
    after: str | None
    reason: str | None
    detail: str | None
    updated_at: datetime


class MigrationProgress(BaseModel):
    planned: int = Field(description="runs planned so far")
    signalled: int = Field(description="asked to move, not moved yet")
    moved: int
    cannot_move: int


class MigrationSummaryOut(BaseModel):
    """A migration and its progress (``GET /v1/workflows/{id}/migrations`` lists them)."""

    id: str
    workflow_id: str
    mode: Literal["apply"] = "apply"
    from_version: int | AllOlder
    to_version: int
    filter: dict[str, str] | None
    map: dict[str, str] | None
    batch_size: int
    rate: float
    status: Literal["dispatching", "dispatched", "done"] = Field(
        description="dispatching: batches still to plan and signal; dispatched: every run "
        "planned, some still to move; done: every run moved or reported"
    )
    progress: MigrationProgress
    created_by: str | None = Field(default=None, description="the name of the key that applied it")
    created_at: datetime
    dispatched_at: datetime | None


class MigrationOut(MigrationSummaryOut):
    runs: list[MigrationRunOut] = Field(description="the runs' outcomes, a page at a time")
    runs_cursor: str | None = Field(
        default=None, description="GET again with ?cursor= for the next page of runs"
    )
