"""Runs and their steps, as the database records them live."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from sqlmodel import Session, col, select

from api.deps import CurrentTenant, SessionDep
from api.errors import NotFound
from api.inputs import Text, UtcDatetime
from api.pagination import newest_first
from api.schemas import DeliveryOut, Page, RunOut, StepOut
from storage.models import Delivery, Run, RunStep
from storage.workflows import get_workflow

router = APIRouter(tags=["runs"])

Limit = Annotated[int, Query(ge=1, le=200)]
RunStatus = Literal[
    "running", "waiting", "completed", "goal_reached", "failed", "cancelled", "skipped"
]


def run_out(run: Run, steps: list[RunStep] | None = None) -> RunOut:
    return RunOut(
        id=run.id,
        workflow_id=run.workflow_id,
        version=run.version,
        status=run.status,
        entity=run.entity,
        started_at=run.started_at,
        completed_at=run.completed_at,
        trigger=run.trigger,
        error=run.error,
        variant=run.variant,
        goal=run.goal,
        steps=None
        if steps is None
        else [
            StepOut(
                node_id=s.node_id,
                type=s.type,
                status=s.status,
                attempts=s.attempts,
                started_at=s.started_at,
                completed_at=s.completed_at,
                output=s.output,
                error=s.error,
            )
            for s in steps
        ],
    )


def _list_runs(
    session: Session,
    tenant: str,
    *,
    workflow_id: str | None,
    status: str | None,
    entity: str | None,
    since: datetime | None,
    until: datetime | None,
    limit: int,
    cursor: str | None,
) -> Page[RunOut]:
    query = select(Run).where(Run.tenant_id == tenant)
    if workflow_id:
        query = query.where(Run.workflow_id == workflow_id)
    if status:
        query = query.where(Run.status == status)
    if entity:
        query = query.where(Run.entity == entity)
    if since:
        query = query.where(col(Run.started_at) >= since)
    if until:
        query = query.where(col(Run.started_at) < until)
    rows, next_cursor = newest_first(session, query, (Run.started_at, Run.id), str, limit, cursor)
    return Page(items=[run_out(r) for r in rows], next_cursor=next_cursor)


@router.get("/v1/runs")
def list_runs(
    tenant: CurrentTenant,
    session: SessionDep,
    workflow_id: Text | None = None,
    status: RunStatus | None = None,
    entity: Text | None = None,
    since: UtcDatetime | None = None,
    until: UtcDatetime | None = None,
    limit: Limit = 50,
    cursor: str | None = None,
) -> Page[RunOut]:
    return _list_runs(
        session, tenant, workflow_id=workflow_id, status=status, entity=entity,
        since=since, until=until, limit=limit, cursor=cursor,
    )  # fmt: skip


@router.get("/v1/workflows/{workflow_id}/runs")
def workflow_runs(
    workflow_id: str,
    tenant: CurrentTenant,
    session: SessionDep,
    status: RunStatus | None = None,
    limit: Limit = 50,
    cursor: str | None = None,
) -> Page[RunOut]:
    if get_workflow(session, tenant, workflow_id) is None:
        raise NotFound("workflow", workflow_id)
    return _list_runs(
        session, tenant, workflow_id=workflow_id, status=status, entity=None,
        since=None, until=None, limit=limit, cursor=cursor,
    )  # fmt: skip


@router.get("/v1/runs/{run_id}")
def read_run(run_id: str, tenant: CurrentTenant, session: SessionDep) -> RunOut:
    run = session.get(Run, run_id)
    if run is None or run.tenant_id != tenant:
        raise NotFound("run", run_id)
    steps = session.exec(
        select(RunStep).where(RunStep.run_id == run_id).order_by(col(RunStep.seq), col(RunStep.id))
    )
    return run_out(run, list(steps))


@router.get("/v1/deliveries")
def list_deliveries(
    tenant: CurrentTenant,
    session: SessionDep,
    run_id: Text | None = None,
    channel: Text | None = None,
    limit: Limit = 50,
    cursor: str | None = None,
) -> Page[DeliveryOut]:
    query = select(Delivery).where(Delivery.tenant_id == tenant)
    if run_id:
        query = query.where(Delivery.run_id == run_id)
    if channel:
        query = query.where(Delivery.channel == channel)
    rows, next_cursor = newest_first(
        session, query, (Delivery.created_at, Delivery.id), int, limit, cursor
    )
    return Page(
        items=[DeliveryOut.model_validate(r, from_attributes=True) for r in rows],
        next_cursor=next_cursor,
    )
