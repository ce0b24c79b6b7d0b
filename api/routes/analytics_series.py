"""Runs over time: a period cut into equal buckets, each with its runs by outcome — the volume
and success-rate charts of the console. One GROUP BY over the period's runs (the bucket is a
``CASE`` over the bucket boundaries, so the same SQL runs on SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import case, func, literal, literal_column
from sqlalchemy import select as wide_select
from sqlmodel import Session, col

from api.deps import CurrentTenant, SessionDep
from api.routes.analytics import From, To, period_of
from api.routes.workflows import find_workflow
from storage.analytics import (
    OPEN_STATUSES,
    Period,
    count_if,
    outcome_counts,
    outcomes,
    rate,
    runs_in,
)
from storage.models import Run

router = APIRouter(tags=["analytics"])

Buckets = Annotated[
    int, Query(ge=1, le=366, description="how many equal parts the period is cut into")
]


class Bucket(BaseModel):
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    runs: int
    succeeded: int = Field(description="ended completed or goal_reached")
    failed: int
    open: int = Field(description="running or waiting now")
    success_rate: float | None = Field(description="succeeded / (succeeded + failed)")


class SeriesOut(BaseModel):
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    buckets: list[Bucket]
    per_workflow: dict[str, list[int]] | None = Field(
        default=None,
        description="with per_workflow=true: each workflow's runs per bucket (its trend)",
    )


@router.get("/v1/stats/series", response_model_by_alias=True)
def tenant_series(
    tenant: CurrentTenant,
    session: SessionDep,
    from_: From = None,
    to: To = None,
    buckets: Buckets = 30,
    per_workflow: Annotated[
        bool, Query(description="also each workflow's runs per bucket (its trend)")
    ] = False,
) -> SeriesOut:
    """Every workflow's runs in the period (default: the last 30 days), bucket by bucket."""
    return _series(session, tenant, None, period_of(from_, to), buckets, per_workflow)


@router.get("/v1/workflows/{workflow_id}/series", response_model_by_alias=True)
def workflow_series(
    workflow_id: str,
    tenant: CurrentTenant,
    session: SessionDep,
    from_: From = None,
    to: To = None,
    buckets: Buckets = 30,
) -> SeriesOut:
    """The workflow's runs in the period (default: the last 30 days), bucket by bucket."""
    find_workflow(session, tenant, workflow_id)
    return _series(session, tenant, workflow_id, period_of(from_, to), buckets)


def _series(
    session: Session,
    tenant: str,
    workflow_id: str | None,
    period: Period,
    count: int,
    per_workflow: bool = False,
) -> SeriesOut:
    width = (period.end - period.start) / count
    edges = [period.start + width * i for i in range(count + 1)]
    edges[-1] = period.end
    started = col(Run.started_at)
    # Bucket i holds edges[i] <= started_at < edges[i + 1]; the period bounds the rest.
    inner = edges[1:-1]
    bucket: Any = (
        case(*((started < e, i) for i, e in enumerate(inner)), else_=count - 1)
        if inner
        else literal(0)
    )
    status = col(Run.status)
    rows = session.execute(
        wide_select(
            bucket.label("bucket"),
            func.count(),
            *outcome_counts(),  # a run that went on past failed steps is no success
            count_if(status.in_(OPEN_STATUSES)),
        )
        .where(runs_in(tenant, period, workflow_id))
        # By the output column's name: PostgreSQL would see the CASE's parameters in SELECT
        # and GROUP BY as different expressions.
        .group_by(literal_column("bucket"))
    ).all()
    found: dict[int, Any] = {int(row[0]): row for row in rows}
    items = []
    for i in range(count):
        _, runs, ended, ended_failed, past, open_ = found.get(i, (i, 0, 0, 0, 0, 0))
        succeeded, failed = outcomes(ended, ended_failed, past)
        items.append(
            Bucket.model_validate(
                {
                    "from": edges[i],
                    "to": edges[i + 1],
                    "runs": runs,
                    "succeeded": succeeded or 0,
                    "failed": failed or 0,
                    "open": open_ or 0,
                    "success_rate": rate(succeeded or 0, (succeeded or 0) + (failed or 0)),
                }
            )
        )
    trends: dict[str, list[int]] | None = None
    if per_workflow:
        trends = {}
        for bucket_index, workflow, runs in session.execute(
            wide_select(bucket.label("bucket"), col(Run.workflow_id), func.count())
            .where(runs_in(tenant, period, workflow_id))
            .group_by(literal_column("bucket"), col(Run.workflow_id))
        ).all():
            trends.setdefault(workflow, [0] * count)[int(bucket_index)] = runs
    return SeriesOut.model_validate(
        {"from": period.start, "to": period.end, "buckets": items, "per_workflow": trends}
    )
