"""Runs and their steps, as the database records them live; cancelling and retrying them."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response, status
from sqlalchemy import func, literal
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from api.auth import AuditNote
from api.deps import ApiDeps, CurrentTenant, Deps, SessionDep
from api.errors import ApiError, NotFound
from api.pagination import Order, keyset_page
from api.routes.workflows import find_workflow
from api.schemas import Page
from api.schemas.runs import ControlOut, RetryIn, RunOut, RunStarted, StepOut, VersionMoveOut
from api.storable import Text, UtcDatetime
from runs.control import cancel_run, retry_run
from storage.audit import entries_about
from storage.db import in_thread, session_scope
from storage.migration_runs import version_history
from storage.models import Event, MigrationRun, Run, RunStep, UTCDateTime
from storage.step_counts import StepCounts, count_steps, counts_of, failed_step_exists

router = APIRouter(tags=["runs"])
STEPS_INLINE = 500
"""The most steps one response carries (a run's detail, a page of its steps)."""

Limit = Annotated[int, Query(ge=1, le=200)]
RunStatus = Literal[
    "running", "waiting", "completed", "goal_reached", "failed", "cancelled", "skipped"
]
RunSort = Literal["started_at", "-started_at", "completed_at", "-completed_at"]
HasFailedSteps = Annotated[
    bool | None,
    Query(description="true: only runs with a failed step (whatever their status); false: none"),
]

MAX_TEXT = 2000
"""Longer texts in a run's detail (step outputs, event data) are cut to this many characters."""
MAX_ITEMS = 100
"""Longer lists in a run's detail keep this many items."""
_NOT_YET = datetime(9999, 12, 31, tzinfo=UTC)
"""Where open runs sort by completion: after every completed one."""


def truncated(value: Any, depth: int = 0) -> Any:
    """``value`` small enough to read: long texts cut, long lists shortened (each with a note
    of what was left out), deep nesting elided."""
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return f"{value[:MAX_TEXT]}… [{len(value) - MAX_TEXT} more characters]"
    if depth >= 16 and isinstance(value, dict | list):
        return "… [nested too deeply to show]"
    if isinstance(value, dict):
        return {k: truncated(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        shown = [truncated(v, depth + 1) for v in value[:MAX_ITEMS]]
        more = len(value) - MAX_ITEMS
        return shown + ([f"… [{more} more items]"] if more > 0 else [])
    return value


def _ms(start: datetime | None, end: datetime | None) -> int | None:
    return None if start is None or end is None else round((end - start).total_seconds() * 1000)


def _readable(trigger: dict[str, Any] | None) -> dict[str, Any] | None:
    """The stored trigger with its run keys readable: the unit separators between their parts
    (an internal detail of ``runs.enrollment``) shown as ``/``."""
    if trigger is None:
        return None
    return {
        k: v.replace("\x1f", "/") if k in ("key", "dedupe_key") and isinstance(v, str) else v
        for k, v in trigger.items()
    }


def run_out(
    run: Run,
    steps: list[RunStep] | None = None,
    event: Event | None = None,
    counts: StepCounts | None = None,
    steps_cursor: str | None = None,
) -> RunOut:
    """The run as the API shows it; its step counts are ``counts``, or those of ``steps``."""
    if counts is None:
        counts = counts_of(s.status for s in steps or [])
    trigger = _readable(run.trigger)
    if event is not None:
        trigger = {
            **(trigger or {}),
            "occurred_at": event.occurred_at.isoformat(),
            "entity": event.entity,
            "data": truncated(event.data),
        }
    return RunOut(
        id=run.id,
        workflow_id=run.workflow_id,
        version=run.version,
        status=run.status,
        entity=run.entity,
        started_at=run.started_at,
        completed_at=run.completed_at,
        duration_ms=_ms(run.started_at, run.completed_at),
        trigger=trigger,
        error=run.error,
        variant=run.variant,
        goal=run.goal,
        retry_of=run.retry_of,
        steps_completed=counts.completed,
        steps_failed=counts.failed,
        steps_skipped=counts.skipped,
        path=None if steps is None else [s.step_key for s in steps],
        steps=None if steps is None else [step_out(s) for s in steps],
        steps_cursor=steps_cursor,
    )


def step_out(step: RunStep) -> StepOut:
    return StepOut(
        node_id=step.node_id,
        step_key=step.step_key,
        type=step.type,
        status=step.status,
        attempts=step.attempts,
        started_at=step.started_at,
        completed_at=step.completed_at,
        duration_ms=_ms(step.started_at, step.completed_at),
        output=truncated(step.output),
        error=step.error,
    )


def _order(sort: str) -> Order:
    name = sort.lstrip("-")
    when: Any
    if name == "completed_at":
        when = func.coalesce(col(Run.completed_at), literal(_NOT_YET, UTCDateTime()))
        value: Any = lambda run: run.completed_at or _NOT_YET  # noqa: E731
    else:
        when, value = col(Run.started_at), lambda run: run.started_at
    return Order(sort, when, Run.id, sort.startswith("-"), value)


def run_query(
    tenant: str,
    *,
    workflow_id: str | None = None,
    status: str | None = None,
    entity: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    failed_steps: bool | None = None,
) -> SelectOfScalar[Run]:
    """The tenant's runs that match every filter given (``start``/``end``: when they started;
    ``failed_steps``: whether any of their steps failed)."""
    query = select(Run).where(Run.tenant_id == tenant)
    if workflow_id:
        query = query.where(Run.workflow_id == workflow_id)
    if status:
        query = query.where(Run.status == status)
    if entity:
        query = query.where(Run.entity == entity)
    if start:
        query = query.where(col(Run.started_at) >= start)
    if end:
        query = query.where(col(Run.started_at) < end)
    if failed_steps is not None:
        query = query.where(failed_step_exists() if failed_steps else ~failed_step_exists())
    return query


def _page(
    session: Session, query: SelectOfScalar[Run], sort: str, limit: int, cursor: str | None
) -> Page[RunOut]:
    rows, next_cursor = keyset_page(session, query, _order(sort), str, limit, cursor)
    counts = count_steps(session, [r.id for r in rows])
    return Page(items=[run_out(r, counts=counts[r.id]) for r in rows], next_cursor=next_cursor)


@router.get("/v1/runs")
def list_runs(
    tenant: CurrentTenant,
    session: SessionDep,
    workflow_id: Text | None = None,
    status: RunStatus | None = None,
    entity: Text | None = None,
    from_: Annotated[
        UtcDatetime | None, Query(alias="from", description="started at or after")
    ] = None,
    to: Annotated[UtcDatetime | None, Query(description="started before")] = None,
    since: Annotated[UtcDatetime | None, Query(description="same as from")] = None,
    until: Annotated[UtcDatetime | None, Query(description="same as to")] = None,
    has_failed_steps: HasFailedSteps = None,
    sort: Annotated[
        RunSort, Query(description="'-' for descending; open runs complete after all others")
    ] = "-started_at",
    limit: Limit = 50,
    cursor: str | None = None,
) -> Page[RunOut]:
    query = run_query(
        tenant, workflow_id=workflow_id, status=status, entity=entity, start=from_ or since,
        end=to or until, failed_steps=has_failed_steps,
    )  # fmt: skip
    return _page(session, query, sort, limit, cursor)


@router.get("/v1/workflows/{workflow_id}/runs")
def workflow_runs(
    workflow_id: str,
    tenant: CurrentTenant,
    session: SessionDep,
    status: RunStatus | None = None,
    has_failed_steps: HasFailedSteps = None,
    sort: RunSort = "-started_at",
    limit: Limit = 50,
    cursor: str | None = None,
) -> Page[RunOut]:
    find_workflow(session, tenant, workflow_id)
    query = run_query(tenant, workflow_id=workflow_id, status=status, failed_steps=has_failed_steps)
    return _page(session, query, sort, limit, cursor)


def run_detail(session: Session, tenant: str, run_id: str) -> RunOut:
    run = session.get(Run, run_id)
    if run is None or run.tenant_id != tenant:
        raise NotFound("run", run_id)
    steps, steps_cursor = _steps_page(session, run_id, STEPS_INLINE, None)
    event = None
    if run.event_id is not None:
        event = session.exec(
            select(Event).where(Event.tenant_id == tenant, Event.event_id == run.event_id)
        ).first()
    # Past the first page the loaded steps are not all of them: count them in the database.
    counts = count_steps(session, [run_id]).get(run_id) if steps_cursor else None
    out = run_out(run, list(steps), event, counts, steps_cursor)
    out.control = [
        ControlOut(action=e.action, at=e.at, key_id=e.key_id, key_name=e.key_name, detail=e.detail)
        for e in entries_about(session, tenant, "run", run_id)
    ]
    out.versions = [version_move(m) for m in version_history(session, run_id)]
    return out


def version_move(move: MigrationRun) -> VersionMoveOut:
    where = f" at node {move.node_id}" if move.node_id else ""
    return VersionMoveOut(
        from_version=move.from_version, to_version=move.to_version, node_id=move.node_id,
        continues_at=move.target, migration_id=move.migration_id, at=move.updated_at,
        summary=f"v{move.from_version} → v{move.to_version}{where} by migration "
        f"{move.migration_id}",
    )  # fmt: skip


@router.get("/v1/runs/{run_id}")
def read_run(run_id: str, tenant: CurrentTenant, session: SessionDep) -> RunOut:
    """One run with its trigger event, its steps in the order taken, and its path: every step
    of a run of up to 500 steps; of a longer one the first 500, and ``steps_cursor`` to read
    the rest from ``GET /v1/runs/{run_id}/steps``."""
    return run_detail(session, tenant, run_id)


@router.get("/v1/runs/{run_id}/steps")
def read_run_steps(
    run_id: str,
    tenant: CurrentTenant,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=STEPS_INLINE)] = STEPS_INLINE,
    cursor: str | None = None,
) -> Page[StepOut]:
    """A run's steps in the order taken, a page at a time (``cursor``: the run's
    ``steps_cursor`` or a page's ``next_cursor``)."""
    run = session.get(Run, run_id)
    if run is None or run.tenant_id != tenant:
        raise NotFound("run", run_id)
    steps, next_cursor = _steps_page(session, run_id, limit, cursor)
    return Page(items=[step_out(step) for step in steps], next_cursor=next_cursor)


def _steps_page(
    session: Session, run_id: str, limit: int, cursor: str | None
) -> tuple[list[RunStep], str | None]:
    """Up to ``limit`` steps after ``cursor`` in the order taken (seq, then id), and the cursor
    of the next page (None on the last)."""
    query = select(RunStep).where(RunStep.run_id == run_id)
    if cursor:
        seq, ident = _step_position(cursor)
        query = query.where(
            (col(RunStep.seq) > seq) | ((col(RunStep.seq) == seq) & (col(RunStep.id) > ident))
        )
    rows = list(session.exec(query.order_by(col(RunStep.seq), col(RunStep.id)).limit(limit + 1)))
    if len(rows) <= limit:
        return rows, None
    last = rows[limit - 1]
    raw = json.dumps(["steps", last.seq, last.id]).encode()
    return rows[:limit], base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _step_position(cursor: str) -> tuple[int, int]:
    try:
        kind, seq, ident = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if kind != "steps" or type(seq) is not int or type(ident) is not int:
            raise TypeError("not a steps cursor")
        return seq, ident
    except (ValueError, TypeError) as exc:
        raise ApiError(400, "Invalid cursor", "the cursor is not one this API returned") from exc


@router.post(
    "/v1/runs/{run_id}/cancel",
    responses={202: {"description": "cancellation requested; the run has not ended yet"}},
)
async def cancel(run_id: str, tenant: CurrentTenant, deps: Deps, response: Response) -> RunOut:
    """Cancel a running or waiting run: its open steps and the run end ``cancelled``. Answers
    the run once it has ended (200), or 202 if it has not within a few seconds."""
    if not await cancel_run(deps, tenant, run_id):
        response.status_code = status.HTTP_202_ACCEPTED
    return await in_thread(run_now, deps, tenant, run_id)


def run_now(deps: ApiDeps, tenant: str, run_id: str) -> RunOut:
    """``run_detail`` in a session of its own."""
    with session_scope(deps.engine) as session:
        return run_detail(session, tenant, run_id)


@router.post("/v1/runs/{run_id}/retry", status_code=status.HTTP_202_ACCEPTED)
async def retry(
    run_id: str,
    tenant: CurrentTenant,
    deps: Deps,
    audit: AuditNote,
    body: RetryIn | None = None,
) -> RunStarted:
    """A new run of an ended run's version with its trigger event; its ``retry_of`` names
    the original."""
    started = await retry_run(deps, tenant, run_id, body.idempotency_key if body else None)
    audit.note(new_run_id=started.id)
    return RunStarted.model_validate(started)
