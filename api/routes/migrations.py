"""Migrations: moving a workflow's runs in flight to another of its versions
(``runs.migration``) — previewed (``dry_run``), then applied in batches by the workers."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from sqlmodel import Session

from api.auth import AuditNote, CurrentKey
from api.deps import Deps, SessionDep
from api.errors import ApiError, NotFound
from api.pagination import newest_first
from api.roles import Role
from api.routes.workflows import find_workflow
from api.schemas import Page
from api.schemas.migrations import (
    DryRunOut,
    MigrationIn,
    MigrationOut,
    MigrationProgress,
    MigrationRunOut,
    MigrationSummaryOut,
    PlannedRunOut,
)
from definitions.migration import Move
from runs.migration import MigrationSpec, create, dry_run
from storage.db import session_scope
from storage.migration_runs import (
    find_migration,
    migrations_query,
    outcomes,
    progress,
    progress_of,
)
from storage.models import Migration, MigrationRun

router = APIRouter(prefix="/v1/workflows/{workflow_id}/migrations", tags=["migrations"])

APPLIERS = frozenset({Role.ADMIN, Role.OPERATOR})
"""Who may move runs; an editor, who writes the versions, may preview the move."""
RUNS_PAGE = 200


@router.post(
    "",
    responses={202: {"model": MigrationOut, "description": "applied: the runs move in batches"}},
)
def migrate(
    workflow_id: str,
    body: MigrationIn,
    key: CurrentKey,
    deps: Deps,
    audit: AuditNote,
    response: Response,
) -> DryRunOut | MigrationOut:
    """Move the workflow's runs in flight from ``from_version`` to ``to_version``. A dry run
    answers each run's move now (up to 1000 runs); ``apply`` answers 202 with the migration,
    whose runs the workers plan and signal in batches at ``rate``. Each run moves at its next
    safe point (a wait, or between steps) and records it: ``GET …/migrations/{id}``."""
    if body.mode == "apply" and key.role not in APPLIERS:
        raise ApiError(403, "Forbidden", f"a {key.role} key may preview a migration, not apply it")
    with session_scope(deps.engine) as session:
        find_workflow(session, key.tenant_id, workflow_id)
    spec = _spec(body)
    if body.mode == "dry_run":
        planned, more = dry_run(deps, key.tenant_id, workflow_id, spec)
        runs = [_planned(p.run_id, p.version, p.status, p.move) for p in planned]
        movable = sum(not r.cannot_move for r in runs)
        audit.note(workflow_id, mode="dry_run", to_version=body.to_version, runs=len(runs))
        return DryRunOut(
            from_version=body.from_version, to_version=body.to_version, runs=runs,
            movable=movable, cannot_move=len(runs) - movable, more=more,
        )  # fmt: skip
    migration = create(deps, key.tenant_id, workflow_id, spec, key.key_name)
    audit.note(workflow_id, mode="apply", migration_id=migration.id, to_version=body.to_version)
    response.status_code = status.HTTP_202_ACCEPTED
    with session_scope(deps.engine) as session:
        return migration_out(session, migration, 0)


@router.get("")
def list_migrations(
    workflow_id: str,
    key: CurrentKey,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Page[MigrationSummaryOut]:
    """The workflow's applied migrations, newest first, each with its progress (dry runs are
    not kept: the audit log has them)."""
    find_workflow(session, key.tenant_id, workflow_id)
    query = migrations_query(key.tenant_id, workflow_id)
    rows, next_cursor = newest_first(
        session, query, (Migration.created_at, Migration.id), str, limit, cursor
    )
    counts = progress_of(session, [row.id for row in rows])
    items = [summary_out(row, counts.get(row.id, {})) for row in rows]
    return Page(items=items, next_cursor=next_cursor)


@router.get("/{migration_id}")
def read_migration(
    workflow_id: str,
    migration_id: str,
    key: CurrentKey,
    session: SessionDep,
    cursor: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=1000)] = RUNS_PAGE,
) -> MigrationOut:
    """The migration's progress and its runs' outcomes (a page at a time: ``cursor``)."""
    migration = find_migration(session, key.tenant_id, migration_id)
    if migration is None or migration.workflow_id != workflow_id:
        raise NotFound("migration", migration_id)
    return migration_out(session, migration, cursor, limit)


def migration_out(
    session: Session, migration: Migration, cursor: int, limit: int = RUNS_PAGE
) -> MigrationOut:
    rows = outcomes(session, migration.id, cursor, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    summary = summary_out(migration, progress(session, migration.id))
    return MigrationOut(
        **summary.model_dump(),
        runs=[_outcome(row) for row in rows],
        runs_cursor=str(rows[-1].id) if more and rows else None,
    )


def summary_out(migration: Migration, counts: dict[str, int]) -> MigrationSummaryOut:
    """The migration and its progress, from its runs' outcome counts."""
    state = migration.status
    if state == "dispatched" and not counts.get("signalled"):
        state = "done"
    return MigrationSummaryOut(
        id=migration.id,
        workflow_id=migration.workflow_id,
        from_version=migration.from_version or "all_older",
        to_version=migration.to_version,
        filter=migration.filter,
        map=migration.map,
        batch_size=migration.batch_size,
        rate=migration.rate,
        status=state,
        progress=MigrationProgress(
            planned=sum(counts.values()),
            signalled=counts.get("signalled", 0),
            moved=counts.get("moved", 0),
            cannot_move=counts.get("cannot_move", 0),
        ),
        created_by=migration.created_by,
        created_at=migration.created_at,
        dispatched_at=migration.dispatched_at,
    )


def _spec(body: MigrationIn) -> MigrationSpec:
    wanted: dict[str, Any] = body.filter.model_dump(exclude_none=True)
    if "started_before" in wanted:
        wanted["started_before"] = wanted["started_before"].isoformat()
    return MigrationSpec(
        to_version=body.to_version,
        from_version=None if body.from_version == "all_older" else body.from_version,
        filter=wanted,
        map=dict(body.map),
        batch_size=body.batch_size,
        rate=body.rate,
    )


def _planned(run_id: str, version: int, run_status: str, move: Move) -> PlannedRunOut:
    return PlannedRunOut(
        run_id=run_id, version=version, status=run_status, node_id=move.node_id,
        continues_at=move.target, wait=move.wait, after=move.after,
        cannot_move=not move.movable, reason=move.reason, detail=move.detail,
    )  # fmt: skip


def _outcome(row: MigrationRun) -> MigrationRunOut:
    return MigrationRunOut(
        run_id=row.run_id, from_version=row.from_version, to_version=row.to_version,
        status=row.status,
        node_id=row.node_id, continues_at=row.target, wait=row.wait, after=row.after,
        reason=row.reason, detail=row.detail, updated_at=row.updated_at,
    )  # fmt: skip
