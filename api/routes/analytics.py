"""Statistics, a workflow's analytics and its flow picture, for a period; all computed in the
database (``storage.analytics``, ``storage.stats``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from api.deps import CurrentTenant, SessionDep
from api.errors import ApiError
from api.flow_picture import flow_graph, to_mermaid, to_svg
from api.routes.workflows import find_version, find_workflow
from api.storable import UtcDatetime
from storage.analytics import (
    Period,
    WorkflowAnalytics,
    count_runs,
    rate,
    transitions,
    workflow_analytics,
)
from storage.stats import StepStats, WorkflowStats, step_stats, workflow_stats

router = APIRouter(tags=["analytics"])

DEFAULT_PERIOD = timedelta(days=30)
From = Annotated[
    UtcDatetime | None,
    Query(alias="from", description="runs started at or after; default: 30 days before `to`"),
]
To = Annotated[UtcDatetime | None, Query(description="runs started before; default: now")]


def period_of(start: datetime | None, end: datetime | None) -> Period:
    end = end or datetime.now(UTC)
    start = start or end - DEFAULT_PERIOD
    if start >= end:
        raise ApiError(
            422, "Invalid request", "the period is empty",
            errors=[{"path": "from", "message": "must be before `to`"}],
        )  # fmt: skip
    return Period(start, end)


class Overall(BaseModel):
    runs: int
    succeeded: int = Field(description="ended completed or goal_reached with no failed step")
    failed: int = Field(
        description="ended failed, or completed/goal_reached past failed steps (on_error: continue)"
    )
    with_failed_steps: int = Field(
        description="of failed, the runs that ended completed or goal_reached past failed steps"
    )
    open: int
    success_rate: float | None = Field(description="succeeded / (succeeded + failed)")
    slow_runs: int


class Problem(BaseModel):
    workflow: WorkflowStats
    reasons: list[str] = Field(description="failure rate over 50%, slow runs")


class StatsOut(BaseModel):
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    overall: Overall
    top: list[WorkflowStats] = Field(description="the workflows with the most runs")
    problematic: list[Problem]
    workflows: list[WorkflowStats]


class WorkflowStatsOut(BaseModel):
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    workflow: WorkflowStats | None = Field(description="null when it has no runs in the period")
    steps: list[StepStats] = Field(description="its action steps")


FAILURE_RATE_LIMIT = 0.5


@router.get("/v1/stats", response_model_by_alias=True)
def stats(
    tenant: CurrentTenant,
    session: SessionDep,
    from_: From = None,
    to: To = None,
    top: Annotated[int, Query(ge=1, le=100)] = 5,
) -> StatsOut:
    """Figures over every workflow's runs in the period; top and problematic workflows."""
    period = period_of(from_, to)
    rows = workflow_stats(session, tenant, period)
    succeeded, failed = sum(r.succeeded for r in rows), sum(r.failed for r in rows)
    problems = []
    for row in rows:
        reasons = []
        if row.failure_rate is not None and row.failure_rate > FAILURE_RATE_LIMIT:
            reason = f"{row.failure_rate:.0%} of ended runs failed"
            if row.with_failed_steps:
                reason += f" ({row.with_failed_steps} went on past failed steps)"
            reasons.append(reason)
        if row.slow_runs:
            reasons.append(f"{row.slow_runs} run(s) took longer than 60 s")
        if reasons:
            problems.append(Problem(workflow=row, reasons=reasons))
    return StatsOut.model_validate(
        {
            "from": period.start,
            "to": period.end,
            "overall": Overall(
                runs=sum(r.total for r in rows),
                succeeded=succeeded,
                failed=failed,
                with_failed_steps=sum(r.with_failed_steps for r in rows),
                open=sum(r.open for r in rows),
                success_rate=rate(succeeded, succeeded + failed),
                slow_runs=sum(r.slow_runs for r in rows),
            ),  # fmt: skip
            "top": rows[:top],
            "problematic": problems,
            "workflows": rows,
        }
    )


@router.get("/v1/workflows/{workflow_id}/stats", response_model_by_alias=True)
def one_workflow_stats(
    workflow_id: str, tenant: CurrentTenant, session: SessionDep, from_: From = None, to: To = None
) -> WorkflowStatsOut:
    """The workflow's run figures and, per action step, total, succeeded, failed, skipped, last
    executed and success rate."""
    find_workflow(session, tenant, workflow_id)
    period = period_of(from_, to)
    rows = workflow_stats(session, tenant, period, workflow_id)
    return WorkflowStatsOut.model_validate(
        {
            "from": period.start,
            "to": period.end,
            "workflow": rows[0] if rows else None,
            "steps": step_stats(session, tenant, workflow_id, period),
        }
    )


@router.get("/v1/workflows/{workflow_id}/analytics")
def analytics(
    workflow_id: str, tenant: CurrentTenant, session: SessionDep, from_: From = None, to: To = None
) -> WorkflowAnalytics:
    """Runs by status, goal conversions (and value), completion times (runs that ended
    completed or goal_reached), drop-off, per-node figures and the A/B variants."""
    find_workflow(session, tenant, workflow_id)
    return workflow_analytics(session, tenant, workflow_id, period_of(from_, to))


class GraphNode(BaseModel):
    id: str
    type: str
    label: str
    visits: int


class GraphEdge(BaseModel):
    source: str = Field(alias="from")
    target: str = Field(alias="to")
    when: str | None
    count: int


class GraphOut(BaseModel):
    workflow_id: str
    version: int = Field(description="the version whose graph is drawn (the latest)")
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    runs: int
    nodes: list[GraphNode]
    edges: list[GraphEdge]


@router.get(
    "/v1/workflows/{workflow_id}/graph",
    response_model_by_alias=True,
    responses={
        200: {
            "content": {"text/vnd.mermaid": {}, "image/svg+xml": {}},
            "description": "JSON, Mermaid source or an SVG picture",
        }
    },
)
def graph(
    workflow_id: str,
    tenant: CurrentTenant,
    session: SessionDep,
    format: Literal["json", "mermaid", "svg"] = "json",
    from_: From = None,
    to: To = None,
    version: Annotated[int | None, Query(ge=1, description="another version's flow")] = None,
) -> Any:
    """The latest version's graph (or ``version``'s) with the period's visits per node and
    runs per edge."""
    workflow = find_workflow(session, tenant, workflow_id)
    period = period_of(from_, to)
    version_row = find_version(session, workflow, version or workflow.latest_version)
    moves = transitions(session, tenant, workflow_id, period)
    runs = count_runs(session, tenant, workflow_id, period)
    nodes, edges = flow_graph(
        version_row.definition, runs, moves.visits, moves.entries, moves.pairs
    )
    if format == "mermaid":
        return PlainTextResponse(to_mermaid(nodes, edges), media_type="text/vnd.mermaid")
    if format == "svg":
        title = f"{workflow.name} — {period.start:%Y-%m-%d} to {period.end:%Y-%m-%d}, {runs} runs"
        return Response(to_svg(nodes, edges, title), media_type="image/svg+xml")
    return GraphOut.model_validate(
        {
            "workflow_id": workflow.id,
            "version": version_row.version,
            "from": period.start,
            "to": period.end,
            "runs": runs,
            "nodes": [vars(n) for n in nodes],
            "edges": [
                {"from": e.source, "to": e.target, "when": e.label, "count": e.count} for e in edges
            ],
        }
    )
