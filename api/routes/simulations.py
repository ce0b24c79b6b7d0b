"""Simulations: trying a workflow with time skipped and nothing sent (or running it for real)."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Response, status
from sqlalchemy.engine import Engine
from sqlmodel import Session

from activities.record_actions import record_view
from api.deps import CurrentTenant, Deps, Simulator
from api.errors import ApiError, NotFound
from api.routes.workflows import find_version, find_workflow, load_document, version_to_run
from api.schemas.runs import RunStarted
from api.schemas.simulations import (
    BulkTestIn,
    BulkTestOut,
    DraftTestIn,
    ScriptedEventIn,
    SimulationOut,
    TestEventIn,
    TestIn,
)
from definitions.catalog import EventTypeSpec, derive, role_addresses
from definitions.models import Definition, Trigger
from runs.intake import execute
from storage.db import in_thread, session_scope
from storage.event_types import get_event_type
from storage.events import get_event
from storage.models import Workflow, WorkflowVersion
from storage.records import entity_of, get_record
from storage.tenants import tenant_profile
from workflows.simulation import simulation_request

router = APIRouter(prefix="/v1/workflows", tags=["testing"])


@router.post(
    "/{workflow_id}/test",
    responses={202: {"model": RunStarted, "description": "live: the run started"}},
)
async def test_workflow(
    workflow_id: str, body: TestIn, tenant: CurrentTenant, deps: Deps, response: Response
) -> SimulationOut | RunStarted:
    """``simulate`` (or ``mock``): run the real interpreter with time skipped and every side
    effect recorded — the path, each step's rendered content and simulated time, the outcome.
    ``real``: the same with a stored event or record as the event. ``live``: a real manual run
    of the workflow (202), as ``POST /v1/workflows/{id}/execute``."""
    workflow, version, given = await in_thread(_what_to_test, deps, tenant, workflow_id, body)
    if body.mode == "live":
        event = given or TestEventIn()
        response.status_code = status.HTTP_202_ACCEPTED
        started = await execute(
            deps, workflow, version, event.data or {}, event.entity, body.idempotency_key
        )
        return RunStarted.model_validate(started)
    script = (body.events, body.outputs, body.failures)
    report = await _simulate(_simulator(deps), deps.engine, workflow, version, given, *script)
    report.mode = body.mode  # type: ignore[assignment]
    return report


def _what_to_test(
    deps: Deps, tenant: str, workflow_id: str, body: TestIn
) -> tuple[Workflow, WorkflowVersion, TestEventIn | None]:
    """The workflow, the version to test (``body.version``, else the active, else the latest)
    and the event to test it with."""
    with session_scope(deps.engine) as session:
        workflow = find_workflow(session, tenant, workflow_id)
        number = body.version or workflow.active_version or workflow.latest_version
        version = find_version(session, workflow, number)
        return workflow, version, _stored_event(session, tenant, body) or body.event


def _stored_event(session: Session, tenant_id: str, body: TestIn) -> TestEventIn | None:
    """A real (or live) test's event: the stored event ``event_id`` as it arrived, or the
    stored record ``record`` as its change events carry it; None when neither is named."""
    if body.event_id is not None:
        event = get_event(session, tenant_id, body.event_id)
        if event is None:
            raise NotFound("event", body.event_id)
        return TestEventIn(type=event.type, id=event.event_id, entity=event.entity, data=event.data)
    if body.record is not None:
        record = get_record(session, tenant_id, body.record.type, body.record.id)
        if record is None:
            raise NotFound(body.record.type, body.record.id)
        entity = entity_of(record.type, record.record_id)
        return TestEventIn(entity=entity, data=record_view(record))
    return None


@router.post("/bulk-test")
async def bulk_test(body: BulkTestIn, tenant: CurrentTenant, deps: Deps) -> BulkTestOut:
    """Simulate several workflows (their active version, else their latest) against one event."""
    simulator = _simulator(deps)
    targets = [
        await in_thread(version_to_run, deps, tenant, workflow_id)
        for workflow_id in dict.fromkeys(body.workflow_ids)
    ]
    results = await asyncio.gather(
        *(
            _simulate(simulator, deps.engine, w, v, body.event, body.events, {}, {})
            for w, v in targets
        )
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
    failures: dict[str, str],
) -> SimulationOut:
    definition = Definition.model_validate(version.definition)
    target = (workflow.tenant_id, workflow.id, version.version)
    script = (events, outputs, failures)
    return await _simulate_definition(simulator, engine, target, definition, event, *script)


@router.post("/simulate")
async def simulate_draft(body: DraftTestIn, tenant: CurrentTenant, deps: Deps) -> SimulationOut:
    """A draft document (not stored) simulated as ``/{id}/test`` simulates a stored one: the
    visual builder's try-it panel. A document with errors is a 422 with each at its path."""
    definition = load_document(body.definition)
    target = (tenant, body.workflow_id or "draft", 0)
    script = (body.events, body.outputs, body.failures)
    return await _simulate_definition(
        _simulator(deps), deps.engine, target, definition, body.event, *script
    )


async def _simulate_definition(
    simulator: Simulator,
    engine: Engine,
    target: tuple[str, str, int],
    definition: Definition,
    event: TestEventIn | None,
    events: list[ScriptedEventIn],
    outputs: dict[str, Any],
    failures: dict[str, str],
) -> SimulationOut:
    """``target``: the tenant, the workflow id and the version number the run would carry."""
    tenant_id, workflow_id, version = target
    request = simulation_request(
        definition,
        event.model_dump(exclude_none=True) if event else None,
        [e.model_dump(exclude_none=True) for e in events],
        schema=await in_thread(event_schema, engine, tenant_id, definition.trigger),
        outputs=outputs,
        failures=failures,
        tenant_id=tenant_id,
        workflow_id=workflow_id,
        version=version,
    )
    spec, request.tenant = await in_thread(
        event_type_and_profile, engine, tenant_id, request.trigger["type"]
    )
    add_catalog_fields(spec, request.trigger)
    try:
        report = await simulator.simulate(request)
    except TimeoutError as exc:
        raise ApiError(504, "Simulation timed out", str(exc)) from exc
    return SimulationOut(workflow_id=workflow_id, version=version, **report)


def _event_type(engine: Engine, tenant_id: str, name: str) -> EventTypeSpec | None:
    with session_scope(engine) as session:
        return get_event_type(session, tenant_id, name)


def event_type_and_profile(
    engine: Engine, tenant_id: str, name: str
) -> tuple[EventTypeSpec | None, dict[str, Any]]:
    """The trigger's event type in the catalog and the tenant's profile, as a live run reads
    them."""
    with session_scope(engine) as session:
        return get_event_type(session, tenant_id, name), tenant_profile(session, tenant_id)


def add_catalog_fields(spec: EventTypeSpec | None, trigger: dict[str, Any]) -> None:
    """What intake adds to an arriving event (``runs.intake``), so that a simulated run (or a
    previewed template) reads the same context as a live one: the catalog's derived fields and
    recipient roles."""
    if derived := derive(spec, trigger):
        trigger["derived"] = derived
    if spec is not None and spec.roles:
        trigger["roles"] = role_addresses(spec, trigger)


def event_schema(engine: Engine, tenant_id: str, trigger: Trigger) -> dict[str, Any] | None:
    """The JSON Schema of the trigger's event type in the tenant's catalog (its own entry, else
    the built-in one), for sample data. None when the trigger brings its own ``sample`` or
    ``schema`` (the author's word is more specific than the catalog's), listens to a glob, or
    its type has no schema."""
    own = trigger.model_extra or {}
    if "sample" in own or "schema" in own or not trigger.event or "*" in trigger.event:
        return None
    spec = _event_type(engine, tenant_id, trigger.event)
    return spec.schema_ if spec is not None else None


def _simulator(deps: Deps) -> Simulator:
    if deps.simulator is None:
        raise ApiError(503, "Unavailable", "simulation is not configured on this server")
    return deps.simulator
