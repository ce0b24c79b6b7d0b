"""Moving a workflow's runs in flight to another of its versions (``POST …/migrations``).

A dry run plans the matching runs now and answers per run (``definitions.migration``). An
applied migration is a row and an outbox intent written together; a worker's recoverer carries
it out a batch at a time (``dispatch``): it plans each run of the batch from where the database
says it is, records ``cannot_move`` with the reason or ``signalled``, and signals the movable
ones (``relay.migrate``) — then the intent is due again after ``batch_size / rate`` seconds, so
100,000 runs are signalled at the migration's rate, never all at once. Each run decides at its
next safe point with the same plan and records ``moved`` itself (``workflows.moves``).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select
from temporalio.service import RPCError, RPCStatusCode

from definitions.migration import Move, Position, plan_move
from definitions.models import Definition
from runs.deps import RunsDeps
from runs.errors import Invalid, Unavailable
from storage.db import in_thread, session_scope
from storage.migration_runs import find_migration, record_outcome
from storage.models import Migration, Run, RunStep
from storage.outbox import add_intent, release, settle
from storage.workflows import get_version
from workflows.contract import MIGRATE_SIGNAL, MigrateRequest

MIGRATE = "migrate"
"""The outbox kind of an applied migration still signalling its runs; its key the migration
id."""
OPEN = ("running", "waiting")
DRY_RUN_LIMIT = 1000
"""The most runs a dry run plans and lists (``more`` says there are others)."""
ENDED = {"reason": "ended", "detail": "the run ended before it could be asked to move"}
SIGNALS_AT_ONCE = 50
"""Signals in flight at once while a batch is dispatched."""


@dataclass
class MigrationSpec:
    """What to move: runs of ``from_version`` (None: every older version) matching
    ``filter`` (``status``, ``entity``, ``started_before``), onto ``to_version``."""

    to_version: int
    from_version: int | None = None
    filter: dict[str, Any] = field(default_factory=dict)
    map: dict[str, str] = field(default_factory=dict)
    batch_size: int = 500
    rate: float = 1000.0


@dataclass
class PlannedRun:
    run_id: str
    version: int
    status: str
    move: Move


# --- planning -----------------------------------------------------------------------------------


def dry_run(
    deps: RunsDeps, tenant: str, workflow_id: str, spec: MigrationSpec
) -> tuple[list[PlannedRun], bool]:
    """Each matching run's move (up to ``DRY_RUN_LIMIT``), and whether more runs match."""
    with session_scope(deps.engine) as session:
        target = _checked(session, workflow_id, spec)
        runs = matching_runs(session, tenant, workflow_id, spec, "", DRY_RUN_LIMIT + 1)
        planned = plan_runs(session, workflow_id, runs[:DRY_RUN_LIMIT], target, spec.map)
    return planned, len(runs) > DRY_RUN_LIMIT


def plan_runs(
    session: Session,
    workflow_id: str,
    runs: list[Run],
    target: Definition,
    mapping: dict[str, str],
) -> list[PlannedRun]:
    """Where each run is, from its steps as recorded, and where it would continue."""
    definitions = _definitions(session, workflow_id, {r.version for r in runs})
    positions = _positions(session, runs)
    return [
        PlannedRun(
            run.id, run.version, run.status,
            plan_move(definitions[run.version], target, positions[run.id], mapping),
        )
        for run in runs
    ]  # fmt: skip


def matching_runs(
    session: Session, tenant: str, workflow_id: str, spec: MigrationSpec, after: str, limit: int
) -> list[Run]:
    """The open runs the migration is about, by id after ``after``."""
    query = select(Run).where(
        Run.tenant_id == tenant,
        Run.workflow_id == workflow_id,
        col(Run.status).in_(OPEN),
        col(Run.id) > after,
    )
    if spec.from_version is None:
        query = query.where(col(Run.version) < spec.to_version)
    else:
        query = query.where(Run.version == spec.from_version)
    wanted = spec.filter
    if wanted.get("status"):
        query = query.where(Run.status == wanted["status"])
    if wanted.get("entity"):
        query = query.where(Run.entity == wanted["entity"])
    if wanted.get("started_before"):  # stored as ISO 8601 text in the migration's row
        before = datetime.fromisoformat(str(wanted["started_before"]))
        query = query.where(col(Run.started_at) < before)
    return list(session.exec(query.order_by(col(Run.id)).limit(limit)))


def _positions(session: Session, runs: list[Run]) -> dict[str, Position]:
    """Each run's position: its latest open step (waiting, or running: mid-action)."""
    open_steps = session.exec(
        select(RunStep.run_id, RunStep.node_id, RunStep.status)
        .where(col(RunStep.run_id).in_([r.id for r in runs]))
        .where(col(RunStep.status).in_(("waiting", "running")))
        .order_by(col(RunStep.seq))
    )
    latest = {run_id: (node_id, status) for run_id, node_id, status in open_steps}
    positions = {}
    for run in runs:
        node_id, step_status = latest.get(run.id, (None, run.status))
        waiting = run.status == "waiting" and step_status == "waiting"
        positions[run.id] = Position(node_id, "waiting" if waiting else "running")
    return positions


def _definitions(session: Session, workflow_id: str, versions: Iterable[int]) -> dict[int, Any]:
    found = {}
    for number in versions:
        version = get_version(session, workflow_id, number)
        if version is not None:
            found[number] = Definition.model_validate(version.definition)
    return found


def _checked(session: Session, workflow_id: str, spec: MigrationSpec) -> Definition:
    """The target version's definition, once the request is one that can be carried out."""
    errors = []
    target = get_version(session, workflow_id, spec.to_version)
    if target is None:
        errors.append(_error("to_version", f"the workflow has no version {spec.to_version}"))
    if spec.from_version is not None:
        if get_version(session, workflow_id, spec.from_version) is None:
            message = f"the workflow has no version {spec.from_version}"
            errors.append(_error("from_version", message))
        elif spec.from_version == spec.to_version:
            errors.append(_error("from_version", "runs are on this version already"))
    if target is not None:
        nodes = {n["id"] for n in target.definition.get("nodes", [])}
        for old, new in spec.map.items():
            if new not in nodes:
                message = f"version {spec.to_version} has no node {new!r}"
                errors.append(_error(f"map.{old}", message))
    if errors:
        raise Invalid(f"{len(errors)} problem(s) in the migration", errors)
    assert target is not None
    return Definition.model_validate(target.definition)


def _error(path: str, message: str) -> dict[str, str]:
    return {"path": path, "message": message}


# --- applying -----------------------------------------------------------------------------------


def create(
    deps: RunsDeps, tenant: str, workflow_id: str, spec: MigrationSpec, created_by: str | None
) -> Migration:
    """The migration and its intent, in one transaction: a recoverer dispatches it."""
    with session_scope(deps.engine) as session:
        _checked(session, workflow_id, spec)
        migration = Migration(
            id=f"m_{uuid.uuid4().hex[:20]}",
            tenant_id=tenant,
            workflow_id=workflow_id,
            from_version=spec.from_version,
            to_version=spec.to_version,
            filter=spec.filter or None,
            map=spec.map or None,
            batch_size=spec.batch_size,
            rate=spec.rate,
            created_by=created_by,
        )
        session.add(migration)
        add_intent(session, tenant, MIGRATE, migration.id, {"workflow_id": workflow_id})
        session.flush()
        session.expunge(migration)
    return migration


def spec_of(migration: Migration) -> MigrationSpec:
    return MigrationSpec(
        to_version=migration.to_version,
        from_version=migration.from_version,
        filter=dict(migration.filter or {}),
        map=dict(migration.map or {}),
        batch_size=migration.batch_size,
        rate=migration.rate,
    )


async def dispatch(deps: RunsDeps, intent_id: int, migration_id: str, tenant: str) -> int:
    """One batch of the migration: plan, record, signal; returns the runs signalled. The
    intent is due again after the batch's share of the rate, or settled after the last one."""
    now = datetime.now(UTC)
    batch = await in_thread(_plan_batch, deps, migration_id, tenant, now)
    if batch is None:
        return 0
    movable = [run for run in batch.planned if run.move.movable]
    try:
        closed = await _signal_all(deps, [run.run_id for run in movable], batch.request)
    except Unavailable as exc:
        await in_thread(_retry_later, deps, intent_id, exc.detail, now + timedelta(seconds=5))
        return 0
    await in_thread(_record_batch, deps, intent_id, migration_id, tenant, batch, closed, now)
    return len(movable) - len(closed)


@dataclass
class _Batch:
    spec: MigrationSpec
    request: MigrateRequest
    planned: list[PlannedRun]
    last_run_id: str
    full: bool


def _plan_batch(deps: RunsDeps, migration_id: str, tenant: str, now: datetime) -> _Batch | None:
    """The next batch planned and recorded (``signalled`` or ``cannot_move``); None when the
    migration is over (its intent settled)."""
    with session_scope(deps.engine) as session:
        migration = find_migration(session, tenant, migration_id)
        if migration is None or migration.status != "dispatching":
            settle(session, MIGRATE, migration_id)
            return None
        spec = spec_of(migration)
        target_version = get_version(session, migration.workflow_id, spec.to_version)
        if target_version is None:  # the version was deleted with its workflow
            settle(session, MIGRATE, migration_id, error="the target version is gone")
            return None
        target = Definition.model_validate(target_version.definition)
        runs = matching_runs(
            session, tenant, migration.workflow_id, spec, migration.cursor, spec.batch_size
        )
        planned = plan_runs(session, migration.workflow_id, runs, target, spec.map)
        for run in planned:
            status = "signalled" if run.move.movable else "cannot_move"
            record_outcome(
                session, tenant, migration_id, run.run_id, from_version=run.version,
                to_version=spec.to_version, status=status, plan=run.move.as_dict(), at=now,
            )  # fmt: skip
        request = MigrateRequest(migration_id, spec.to_version, target_version.definition, spec.map)
        last = runs[-1].id if runs else ""
        return _Batch(spec, request, planned, last, len(runs) >= spec.batch_size)


def _retry_later(deps: RunsDeps, intent_id: int, detail: str, due: datetime) -> None:
    with session_scope(deps.engine) as session:  # the same batch again, a little later
        release(session, intent_id, detail, due)


def _record_batch(
    deps: RunsDeps, intent_id: int, migration_id: str, tenant: str, batch: _Batch,
    closed: set[str], now: datetime,
) -> None:  # fmt: skip
    """Runs that had ended recorded as such; the intent due again after the batch's share of
    the rate, or settled after the last batch."""
    spec = batch.spec
    with session_scope(deps.engine) as session:
        for run in batch.planned:
            if run.move.movable and run.run_id in closed:
                record_outcome(
                    session, tenant, migration_id, run.run_id, from_version=run.version,
                    to_version=spec.to_version, status="cannot_move",
                    plan={**run.move.as_dict(), "target": None, **ENDED}, at=now,
                )  # fmt: skip
        row = session.get(Migration, migration_id)
        assert row is not None
        if not batch.full:
            row.status, row.dispatched_at = "dispatched", datetime.now(UTC)
            settle(session, MIGRATE, migration_id)
        else:
            row.cursor = batch.last_run_id or row.cursor  # a full batch has a last run
            pause = timedelta(seconds=spec.batch_size / spec.rate)
            release(session, intent_id, "", now + pause)
        session.add(row)


async def _signal_all(deps: RunsDeps, run_ids: list[str], request: MigrateRequest) -> set[str]:
    """Signal every run; returns those that had ended (Temporal has them closed or not)."""
    client = await deps.temporal()
    limit = asyncio.Semaphore(SIGNALS_AT_ONCE)

    async def one(run_id: str) -> bool:
        async with limit:
            try:
                await client.get_workflow_handle(run_id).signal(MIGRATE_SIGNAL, request)
            except RPCError as exc:
                if exc.status == RPCStatusCode.NOT_FOUND:  # it ended meanwhile
                    return False
                raise Unavailable(f"could not signal run {run_id}: {exc.message}") from exc
            return True

    took = await asyncio.gather(*(one(run_id) for run_id in run_ids))
    return {run_id for run_id, ok in zip(run_ids, took, strict=True) if not ok}
