"""Trying a workflow: simulate it (time skipped, nothing sent) or run it for real."""

from __future__ import annotations

import asyncio
from typing import Any, Literal

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.engine import Engine

from api.deps import CurrentTenant, Deps, Simulator
from api.errors import ApiError, Conflict
from api.inputs import JsonObject, Key, Text
from api.routes.workflows import find_version, find_workflow
from api.schemas import MAX_VERSION, RunStarted
from definitions.models import Definition
from runs.intake import execute
from storage.db import session_scope
from storage.event_types import get_event_type
from storage.models import Workflow, WorkflowVersion
from workflows.simulation import simulation_request

router = APIRouter(prefix="/v1/workflows", tags=["testing"])

MAX_SCRIPTED_EVENTS = 100
MAX_BULK = 50


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


class TestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    mode: Literal["simulate", "live"] = "simulate"
    event: TestEventIn | None = None
    events: list[ScriptedEventIn] = Field(default_factory=list, max_length=MAX_SCRIPTED_EVENTS)
    outputs: JsonObject = Field(
        default_factory=dict,
        description="node id → what its action returns in the simulation (a mocked response)",
    )
    version: int | None = Field(default=None, ge=1, le=MAX_VERSION)
    idempotency_key: Key | None = Field(default=None, description="live runs: one run per key")

    @model_validator(mode="after")
    def _live_takes_no_script(self) -> TestIn:
        if self.mode == "live" and (self.events or self.outputs):
            raise ValueError("'events' and 'outputs' script a simulation; a live run takes neither")
        return self


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
    mode: Literal["simulate"] = "simulate"
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


@router.post(
    "/{workflow_id}/test",
    responses={202: {"model": RunStarted, "description": "live: the run started"}},
)
async def test_workflow(
    workflow_id: str, body: TestIn, tenant: CurrentTenant, deps: Deps, response: Response
) -> SimulationOut | RunStarted:
    """``simulate``: run the real interpreter with time skipped and every side effect recorded —
    the path, each step's rendered content and simulated time, the outcome. ``live``: a real
    manual run of the workflow (202), as ``POST /v1/workflows/{id}/execute``."""
    with session_scope(deps.engine) as session:
        workflow = find_workflow(session, tenant, workflow_id)
        number = body.version or workflow.active_version or workflow.latest_version
        version = find_version(session, workflow, number)
    if body.mode == "live":
        if workflow.status in ("archived", "paused"):
            raise Conflict(f"workflow {workflow_id!r} is {workflow.status}")
        event = body.event or TestEventIn()
        response.status_code = status.HTTP_202_ACCEPTED
        started = await execute(
            deps, workflow, version, event.data or {}, event.entity, body.idempotency_key
        )
        return RunStarted.model_validate(started)
    return await _simulate(
        _simulator(deps), deps.engine, workflow, version, body.event, body.events, body.outputs
    )


@router.post("/bulk-test")
async def bulk_test(body: BulkTestIn, tenant: CurrentTenant, deps: Deps) -> BulkTestOut:
    """Simulate several workflows (their active version, else their latest) against one event."""
    simulator = _simulator(deps)
    with session_scope(deps.engine) as session:
        targets = []
        for workflow_id in dict.fromkeys(body.workflow_ids):
            workflow = find_workflow(session, tenant, workflow_id)
            number = workflow.active_version or workflow.latest_version
            targets.append((workflow, find_version(session, workflow, number)))
    results = await asyncio.gather(
        *(_simulate(simulator, deps.engine, w, v, body.event, body.events, {}) for w, v in targets)
    )
    return BulkTestOut(results=list(results))


async def _simulate(
    simulator: Simulator,
    engine: Engine,
    workflow: Workflow,
    version: WorkflowVersion,
    event: TestEventIn | None,
    events: list[ScriptedEventIn],
    outputs: dict[str, Any],
) -> SimulationOut:
    definition = Definition.model_validate(version.definition)
    request = simulation_request(
        definition,
        event.model_dump(exclude_none=True) if event else None,
        [e.model_dump(exclude_none=True) for e in events],
        schema=event_schema(engine, workflow.tenant_id, definition),
        outputs=outputs,
        tenant_id=workflow.tenant_id,
        workflow_id=workflow.id,
        version=version.version,
    )
    try:
        report = await simulator.simulate(request)
    except TimeoutError as exc:
        raise ApiError(504, "Simulation timed out", str(exc)) from exc
    return SimulationOut(workflow_id=workflow.id, version=version.version, **report)


def event_schema(engine: Engine, tenant_id: str, definition: Definition) -> dict[str, Any] | None:
    """The JSON Schema of the trigger's event type in the tenant's catalog (its own entry, else
    the built-in one), for sample data. None when the trigger brings its own ``sample`` or
    ``schema`` (the author's word is more specific than the catalog's), listens to a glob, or
    its type has no schema."""
    trigger = definition.trigger
    own = trigger.model_extra or {}
    if "sample" in own or "schema" in own or not trigger.event or "*" in trigger.event:
        return None
    with session_scope(engine) as session:
        spec = get_event_type(session, tenant_id, trigger.event)
    return spec.schema_ if spec is not None else None


def _simulator(deps: Deps) -> Simulator:
    if deps.simulator is None:
        raise ApiError(503, "Unavailable", "simulation is not configured on this server")
    return deps.simulator
