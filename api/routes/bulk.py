"""Bulk operations: one lifecycle action over many workflows, cancel or retry over many runs.

Each item goes through the very function its single-item route calls (the workflow lifecycle of
``api.routes.workflows``, ``runs.control``) in a transaction of its own, and its result is
what that route would have answered: its status and its body, or its problem. One item failing
(an unknown id is a 404 of its own) never stops the others; the request itself is refused (422,
with paths) only when it is malformed or names more than ``MAX_ITEMS`` items.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col

from api.auth import AuditNote
from api.deps import ApiDeps, CurrentTenant, Deps
from api.errors import problem_of
from api.routes.runs import RunStatus, run_now, run_query
from api.routes.workflows import WorkflowStatus, change_status
from api.schemas.runs import RunOut, RunStarted
from api.schemas.workflows import WorkflowOut
from api.storable import Key, Text, UtcDatetime
from runs.control import cancel_run, retry_run
from storage.db import in_thread, session_scope
from storage.models import Run

router = APIRouter(tags=["bulk"])

MAX_ITEMS = 100
"""The most workflows or runs one bulk request acts on."""
CONCURRENCY = 10
"""Runs cancelled or retried at once: a cancellation waits a few seconds for the run to end."""

Ids = Annotated[
    list[Key],
    Field(min_length=1, max_length=MAX_ITEMS, description=f"at most {MAX_ITEMS}, each once"),
]
WorkflowAction = Literal["activate", "pause", "archive", "delete"]
_NEW_STATUS: dict[str, WorkflowStatus] = {
    "activate": "active", "pause": "paused", "archive": "archived", "delete": "archived",
}  # fmt: skip


class WorkflowBulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: WorkflowAction = Field(description="delete archives, as DELETE does: runs are kept")
    ids: Ids


class WorkflowItem(BaseModel):
    id: str
    status: int = Field(description="what the single-workflow call answers: 200, 404, 409, 422…")
    workflow: WorkflowOut | None = None
    error: dict[str, Any] | None = Field(default=None, description="its problem document")


class WorkflowBulkOut(BaseModel):
    action: str
    succeeded: int
    failed: int
    results: list[WorkflowItem] = Field(description="one per id, in the order given")


class RunFilter(BaseModel):
    """The runs ``GET /v1/runs`` lists with the same filters."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    workflow_id: Key | None = None
    status: RunStatus | None = None
    entity: Text | None = None
    from_: UtcDatetime | None = Field(default=None, alias="from", description="started at/after")
    to: UtcDatetime | None = Field(default=None, description="started before")
    since: UtcDatetime | None = Field(default=None, description="same as from")
    until: UtcDatetime | None = Field(default=None, description="same as to")
    has_failed_steps: bool | None = None


class RunBulkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["cancel", "retry"]
    ids: Ids | None = None
    filter: RunFilter | None = Field(
        default=None,
        description=f"instead of ids: the runs matching it, refused when more than {MAX_ITEMS} do",
    )
    idempotency_key: Key | None = Field(
        default=None,
        description="retry: one retry of each run per key, so the same request sent again "
        "starts nothing new",
    )


class RunItem(BaseModel):
    id: str
    status: int = Field(
        description="what the single-run call answers: cancel 200 (ended) or 202 (requested), "
        "retry 202; 404, 409…"
    )
    run: RunOut | None = Field(default=None, description="cancel: the run as it is now")
    started: RunStarted | None = Field(default=None, description="retry: the new run")
    error: dict[str, Any] | None = Field(default=None, description="its problem document")


class RunBulkOut(BaseModel):
    action: str
    succeeded: int
    failed: int
    results: list[RunItem] = Field(description="one per run, in the order given (or started)")


@router.post("/v1/workflows/bulk")
async def bulk_workflows(
    body: WorkflowBulkIn, tenant: CurrentTenant, deps: Deps, audit: AuditNote
) -> WorkflowBulkOut:
    """Activate, pause, archive or delete many workflows, each as its own call would."""
    _refuse_repeats(body.ids)
    new_status = _NEW_STATUS[body.action]
    results = []
    for workflow_id in body.ids:  # one after another: each may create or pause a schedule
        outcome = await _attempt(partial(change_status, deps, tenant, workflow_id, new_status))
        if isinstance(outcome, dict):
            results.append(WorkflowItem(id=workflow_id, status=outcome["status"], error=outcome))
        else:
            results.append(WorkflowItem(id=workflow_id, status=200, workflow=outcome))
    done = [item.id for item in results if item.error is None]
    audit.note(action=body.action, ids=done)
    return WorkflowBulkOut(action=body.action, results=results, **_tally(results))


@router.post("/v1/runs/bulk")
async def bulk_runs(
    body: RunBulkIn, tenant: CurrentTenant, deps: Deps, audit: AuditNote
) -> RunBulkOut:
    """Cancel or retry many runs — named by ``ids``, or all that match a ``filter`` (such as
    every failed run of a workflow since a time) — each as its own call would."""
    if (body.ids is None) == (body.filter is None):
        where = "filter" if body.ids is not None else "ids"
        _refuse(where, "give either ids or a filter")
    run_ids = (
        _refuse_repeats(body.ids)
        if body.ids is not None
        else await in_thread(_matching, deps, tenant, body)
    )
    act = _cancel if body.action == "cancel" else _retry
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(run_id: str) -> RunItem:
        async with gate:
            return await act(deps, tenant, run_id, body.idempotency_key)

    results = list(await asyncio.gather(*(one(run_id) for run_id in run_ids)))
    audit.note(action=body.action, ids=[item.id for item in results if item.error is None])
    return RunBulkOut(action=body.action, results=results, **_tally(results))


def _matching(deps: ApiDeps, tenant: str, body: RunBulkIn) -> list[str]:
    """The ids of the runs the filter matches, oldest first; 422 when more than ``MAX_ITEMS``."""
    given = body.filter or RunFilter()
    query = run_query(
        tenant, workflow_id=given.workflow_id, status=given.status, entity=given.entity,
        start=given.from_ or given.since, end=given.to or given.until,
        failed_steps=given.has_failed_steps,
    )  # fmt: skip
    with session_scope(deps.engine) as session:
        runs = session.exec(
            query.order_by(col(Run.started_at), col(Run.id)).limit(MAX_ITEMS + 1)
        ).all()
    if len(runs) > MAX_ITEMS:
        _refuse(
            "filter",
            f"matches more than {MAX_ITEMS} runs; narrow it (from, to, status) or name the "
            "runs by ids",
        )
    return [run.id for run in runs]


async def _cancel(deps: ApiDeps, tenant: str, run_id: str, _key: str | None) -> RunItem:
    outcome = await _attempt(partial(cancel_run, deps, tenant, run_id))
    if isinstance(outcome, dict):
        return RunItem(id=run_id, status=outcome["status"], error=outcome)
    run = await in_thread(run_now, deps, tenant, run_id)
    return RunItem(id=run_id, status=200 if outcome else 202, run=run)


async def _retry(deps: ApiDeps, tenant: str, run_id: str, key: str | None) -> RunItem:
    outcome = await _attempt(partial(retry_run, deps, tenant, run_id, key))
    if isinstance(outcome, dict):
        return RunItem(id=run_id, status=outcome["status"], error=outcome)
    return RunItem(id=run_id, status=202, started=RunStarted.model_validate(outcome))


T = TypeVar("T")


async def _attempt(call: Callable[[], Awaitable[T]]) -> T | dict[str, Any]:
    """What ``call`` returns, or the problem document its error answers as a single call."""
    try:
        return await call()
    except Exception as exc:
        problem = problem_of(exc)
        if problem is None:
            raise
        return problem


def _tally(results: list[WorkflowItem] | list[RunItem]) -> dict[str, int]:
    succeeded = sum(1 for item in results if item.error is None)
    return {"succeeded": succeeded, "failed": len(results) - succeeded}


def _refuse_repeats(ids: list[str]) -> list[str]:
    seen: set[str] = set()
    for index, ident in enumerate(ids):
        if ident in seen:
            _refuse(f"ids[{index}]", f"{ident!r} is named twice")
        seen.add(ident)
    return ids


def _refuse(path: str, message: str) -> None:
    raise RequestValidationError([{"loc": ("body", *_parts(path)), "msg": message}])


def _parts(path: str) -> list[str | int]:
    """``ids[3]`` → ``["ids", 3]``, the location ``api.errors`` writes back as that path."""
    name, _, index = path.partition("[")
    return [name, int(index.rstrip("]"))] if index else [name]
