"""Migrations of runs in flight to another version: the migration rows, each run's outcome,
and a run's version history (its ``moved`` outcomes, in order)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.models import Migration, MigrationRun, Run
from storage.upsert import upsert

FINAL = ("moved", "cannot_move")
"""Outcomes nothing overwrites (a batch planned again after a crash says ``signalled``)."""


def record_outcome(
    session: Session,
    tenant_id: str,
    migration_id: str,
    run_id: str,
    *,
    from_version: int,
    to_version: int,
    status: str,
    plan: dict[str, Any],
    at: datetime,
) -> None:
    """The run's outcome in the migration (``signalled``, ``moved`` or ``cannot_move``), with
    where it was and where it continues (``definitions.migration.Move.as_dict()``)."""
    values = {
        "tenant_id": tenant_id,
        "migration_id": migration_id,
        "run_id": run_id,
        "from_version": from_version,
        "to_version": to_version,
        "status": status,
        "node_id": plan.get("node_id"),
        "target": plan.get("target"),
        "wait": plan.get("wait"),
        "after": plan.get("after"),
        "reason": plan.get("reason"),
        "detail": (plan.get("detail") or "")[:500] or None,
        "updated_at": at,
    }
    upsert(
        session,
        MigrationRun,
        values,
        ["migration_id", "run_id"],
        update=[k for k in values if k not in ("tenant_id", "migration_id", "run_id")],
        where=lambda table, new: table.c.status.not_in(FINAL) | new.status.in_(FINAL),
    )


def move_run(session: Session, run_id: str, to_version: int) -> None:
    """The run's row on its new version."""
    session.execute(update(Run).where(col(Run.id) == run_id).values(version=to_version))


def version_history(session: Session, run_id: str) -> list[MigrationRun]:
    """The run's moves to other versions, oldest first."""
    query = select(MigrationRun).where(
        MigrationRun.run_id == run_id, MigrationRun.status == "moved"
    )
    return list(session.exec(query.order_by(col(MigrationRun.updated_at))))


def progress(session: Session, migration_id: str) -> dict[str, int]:
    """Outcome → how many runs of the migration have it."""
    return progress_of(session, [migration_id]).get(migration_id, {})


def progress_of(session: Session, migration_ids: list[str]) -> dict[str, dict[str, int]]:
    """Per migration, outcome → how many of its runs have it (one query for a page)."""
    rows = session.exec(
        select(MigrationRun.migration_id, MigrationRun.status, func.count())
        .where(col(MigrationRun.migration_id).in_(migration_ids))
        .group_by(col(MigrationRun.migration_id), col(MigrationRun.status))
    )
    counts: dict[str, dict[str, int]] = {}
    for migration_id, status, count in rows:
        counts.setdefault(migration_id, {})[status] = count
    return counts


def migrations_query(tenant_id: str, workflow_id: str) -> SelectOfScalar[Migration]:
    """The workflow's migrations (order and page them: ``api.pagination.newest_first``)."""
    return select(Migration).where(
        Migration.tenant_id == tenant_id, Migration.workflow_id == workflow_id
    )


def outcomes(session: Session, migration_id: str, after: int, limit: int) -> list[MigrationRun]:
    """A page of the migration's runs, in the order they were planned (id after ``after``)."""
    query = select(MigrationRun).where(
        MigrationRun.migration_id == migration_id, col(MigrationRun.id) > after
    )
    return list(session.exec(query.order_by(col(MigrationRun.id)).limit(limit)))


def find_migration(session: Session, tenant_id: str, migration_id: str) -> Migration | None:
    migration = session.get(Migration, migration_id)
    return migration if migration is not None and migration.tenant_id == tenant_id else None
