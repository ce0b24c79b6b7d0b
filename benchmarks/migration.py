"""Moving N waiting runs to a new version: time, and history events per run.

N runs of a two-step follow-up wait (30 days) on a Temporal dev server; version 2 fixes the
email and adds a step. An applied migration is dispatched by a recoverer's passes, as in every
worker (batches of ``--batch`` runs at ``--rate`` runs/s); the figures are the time to plan and
signal every run, the time until every run has recorded its move, and the history events a
move costs a run (the moving execution's, and the new one's first events up to its wait).

    .venv/bin/python -m benchmarks.migration [--runs 10000] [--database-url postgresql+psycopg://…]

``--runs 500`` is a quick run (about a minute); the default, 10,000, takes several minutes on
two cores, most of it starting the runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.http import http_session
from benchmarks.analytics import scratch_database
from definitions.loading import load_definition
from runs.deps import RunsDeps
from runs.migration import MigrationSpec, create
from runs.recovery import Recoverer
from storage.db import make_engine, session_scope, upgrade
from storage.migration_runs import progress
from storage.models import Migration, Run, RunStep
from storage.runs import start_run
from storage.tenants import create_tenant
from storage.workflows import add_version, create_workflow
from tests.helpers.temporal import loopback_actions
from worker.composition import build_worker
from workflows.contract import RunInput
from workflows.interpreter import RelayRun

STARTS_AT_ONCE = 50


def follow_up(subject: str, extra: bool) -> dict[str, object]:
    steps: list[dict[str, object]] = [
        {"id": "pause", "type": "wait", "duration": "30d"},
        {"id": "tips", "type": "send_email", "to": "{{ email }}", "subject": subject,
         "body": "…"},
    ]  # fmt: skip
    if extra:
        steps.append({"id": "survey", "type": "send_email", "to": "{{ email }}",
                      "subject": "How was it?", "body": "…"})  # fmt: skip
    return {"name": "Follow-up", "trigger": {"event": "user.joined"}, "steps": steps}


async def start_runs(
    client: Client, engine: Engine, queue: str, tenant: str, workflow_id: str,
    canonical: dict[str, object], count: int,
) -> list[str]:  # fmt: skip
    """``count`` runs of version 1, their rows first (the migration finds runs by their rows)."""
    ids = [f"bench-move-{uuid.uuid4().hex[:12]}" for _ in range(count)]
    with session_scope(engine) as session:
        for run_id in ids:
            start_run(session, Run(id=run_id, tenant_id=tenant, workflow_id=workflow_id,
                                   version=1, status="running"))  # fmt: skip
    limit = asyncio.Semaphore(STARTS_AT_ONCE)

    async def one(run_id: str) -> None:
        trigger = {"type": "user.joined", "id": run_id, "occurred_at": "2026-01-01T00:00:00Z",
                   "data": {"email": f"{run_id}@example.com"}}  # fmt: skip
        async with limit:
            await client.start_workflow(
                RelayRun.run,
                RunInput(tenant, workflow_id, "Follow-up", 1, canonical, trigger),
                id=run_id,
                task_queue=queue,
            )

    await asyncio.gather(*(one(run_id) for run_id in ids))
    return ids


def waiting(engine: Engine) -> int:
    with session_scope(engine) as session:
        query = select(func.count()).where(RunStep.node_id == "pause", RunStep.status == "waiting")
        return int(session.exec(query).one())


async def until(check: Callable[[], bool], what: str, within: float = 3600) -> float:
    began = time.perf_counter()
    while not check():
        if time.perf_counter() - began > within:
            raise TimeoutError(what)
        await asyncio.sleep(0.5)
    return time.perf_counter() - began


async def history_events(client: Client, run_id: str) -> tuple[int, int]:
    """Events of the execution that moved, and of the one on the new version so far."""
    handle = client.get_workflow_handle(run_id)
    latest = await handle.fetch_history()
    started = latest.events[0].workflow_execution_started_event_attributes
    previous = client.get_workflow_handle(run_id, run_id=started.continued_execution_run_id)
    return len((await previous.fetch_history()).events), len(latest.events)


async def measure(database: str, count: int, batch: int, rate: float) -> None:
    upgrade(database)
    engine = make_engine(database)
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal")
    )
    async with env, http_session() as http:
        queue = f"bench-{uuid.uuid4().hex[:6]}"
        with session_scope(engine) as session:
            tenant, _ = create_tenant(session, "Bench")
            v1 = load_definition(follow_up("Tpis", extra=False)).canonical()
            workflow = create_workflow(session, tenant.id, v1, v1)
            v2 = load_definition(follow_up("Tips", extra=True)).canonical()
            add_version(session, workflow, v2, v2)
            tenant_id, workflow_id = tenant.id, workflow.id
        async with build_worker(env.client, queue, engine, loopback_actions(engine, http)):
            began = time.perf_counter()
            ids = await start_runs(env.client, engine, queue, tenant_id, workflow_id, v1, count)
            await until(lambda: waiting(engine) == count, "every run waiting")
            print(f"{count} runs started and waiting in {time.perf_counter() - began:.1f}s")
            with session_scope(engine) as session:  # as the runs' rows say once they wait
                for row in session.exec(select(Run).where(Run.workflow_id == workflow_id)):
                    row.status = "waiting"
                    session.add(row)

            deps = RunsDeps.over(env.client, engine, queue)
            spec = MigrationSpec(to_version=2, from_version=1, batch_size=batch, rate=rate)
            migration = create(deps, tenant_id, workflow_id, spec, "bench")
            recoverer = Recoverer(deps, batch=10, tenant_id=tenant_id, reconcile_every=10**9)
            began = time.perf_counter()
            passes = 0
            while not _dispatched(engine, migration.id):
                await recoverer.pass_once(datetime.now(UTC))
                passes += 1
                await asyncio.sleep(0.05)
            dispatched = time.perf_counter() - began

            def all_moved() -> bool:
                with session_scope(engine) as session:
                    return progress(session, migration.id).get("moved", 0) == count

            await until(all_moved, "every run moved")
            moved = time.perf_counter() - began
            sampled = ids[:: max(1, count // 20)]
            sample = [await history_events(env.client, run_id) for run_id in sampled]
    engine.dispose()
    before = statistics.mean(s[0] for s in sample)
    after = statistics.mean(s[1] for s in sample)
    print(f"migration of {count} waiting runs (batches of {batch}, at most {rate:g} runs/s):")
    print(f"  planned and signalled in {dispatched:6.1f}s over {passes} recoverer passes "
          f"({count / dispatched:7.0f} runs/s)")  # fmt: skip
    print(f"  every run moved after   {moved:6.1f}s ({count / moved:7.0f} runs/s)")
    print(f"  history events per run: {before:.1f} in the execution that moved (whole), "
          f"{after:.1f} in the new one up to its wait ({len(sample)} runs sampled)")  # fmt: skip


def _dispatched(engine: Engine, migration_id: str) -> bool:
    with session_scope(engine) as session:
        row = session.get(Migration, migration_id)
        return row is not None and row.status == "dispatched"


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--rate", type=float, default=2000.0, help="runs signalled per second")
    parser.add_argument("--database-url", default=None, help="PostgreSQL server to use")
    arguments = parser.parse_args()
    with scratch_database(arguments.database_url) as database:
        asyncio.run(measure(database, arguments.runs, arguments.batch, arguments.rate))
