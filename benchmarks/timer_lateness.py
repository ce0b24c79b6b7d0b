"""Timers of many waiting runs: how late each run resumes after the instant it waited for.

    .venv/bin/python -m benchmarks.timer_lateness [--runs 10000] [--window 10]
        [--database-url postgresql+psycopg://…]

N runs of ``wait until {{ due }}`` then a ``set`` step, on a Temporal dev server with one
worker in this process (its resident size is this process's). Every run is started first,
their due instants spread evenly over ``--window`` seconds beginning a margin after the
estimated end of the starts — so the timers come due together, a burst of ``N / window`` per
second, while every run is parked. A run's lateness is its wait step's end (the workflow's
clock when it resumed) less its due instant; printed: p50/p99/max lateness, the start rate,
the worker's resident size with every run parked and after, and runs that started after their
due instant (their lateness is not the timer's, and they are left out).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import col, select
from temporalio.testing import WorkflowEnvironment

from benchmarks.analytics import scratch_database
from benchmarks.migration import STARTS_AT_ONCE, until
from definitions.loading import load_definition
from storage.db import make_engine, session_scope, upgrade
from storage.models import RunStep
from storage.tenants import create_tenant
from tests.helpers.temporal import loopback_actions
from worker.composition import build_worker
from workflows.contract import RunInput
from workflows.interpreter import RelayRun

DOCUMENT = {
    "name": "Timer",
    "trigger": {"event": "timer.set"},
    "steps": [
        {"id": "pause", "type": "wait", "until": "{{ due }}"},
        {"id": "done", "type": "set", "values": {"resumed": True}},
    ],
}
ASSUMED_STARTS_PER_S = 20
"""How fast runs are assumed to start, to place the due instants after the last start."""


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _count(engine: Engine, status: str) -> int:
    with session_scope(engine) as session:
        query = select(func.count()).where(RunStep.node_id == "pause", RunStep.status == status)
        return int(session.exec(query).one())


async def measure(database: str, count: int, window: float, margin: float) -> int:
    upgrade(database)
    engine = make_engine(database)
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(Path(sys.executable).parent / "temporal")
    )
    canonical = load_definition(DOCUMENT).canonical()
    async with env, httpx.AsyncClient(trust_env=False) as http:
        queue = f"bench-{uuid.uuid4().hex[:6]}"
        with session_scope(engine) as session:
            tenant, _ = create_tenant(session, "Bench")
            tenant_id = tenant.id
        first_due = datetime.now(UTC) + timedelta(seconds=count / ASSUMED_STARTS_PER_S + margin)
        dues = {
            f"bench-timer-{uuid.uuid4().hex[:12]}": first_due
            + timedelta(seconds=window * i / count)
            for i in range(count)
        }
        async with build_worker(env.client, queue, engine, loopback_actions(engine, http)):
            limit = asyncio.Semaphore(STARTS_AT_ONCE)

            async def start(run_id: str, due: datetime) -> None:
                trigger = {"type": "timer.set", "id": run_id, "occurred_at": due.isoformat(),
                           "data": {"due": due.isoformat()}}  # fmt: skip
                async with limit:
                    await env.client.start_workflow(
                        RelayRun.run,
                        RunInput(tenant_id, "wf_timer", "Timer", 1, canonical, trigger),
                        id=run_id,
                        task_queue=queue,
                    )

            began = time.perf_counter()
            await asyncio.gather(*(start(run_id, due) for run_id, due in dues.items()))
            started_s = time.perf_counter() - began
            await until(lambda: _count(engine, "waiting") + _count(engine, "completed") == count,
                        "every run waiting")  # fmt: skip
            parked = datetime.now(UTC)
            parked_rss = _rss_mb()
            await until(lambda: _count(engine, "completed") == count, "every run resumed")
            after_rss = _rss_mb()
    with session_scope(engine) as session:
        rows = session.exec(
            select(RunStep.run_id, RunStep.started_at, RunStep.completed_at).where(
                RunStep.node_id == "pause", col(RunStep.run_id).in_(list(dues))
            )
        ).all()
    engine.dispose()
    lateness, late_start = [], 0
    for run_id, started_at, completed_at in rows:
        due = dues[run_id]
        if started_at is None or completed_at is None:
            continue
        if started_at.replace(tzinfo=started_at.tzinfo or UTC) >= due:
            late_start += 1  # started after its due instant: not a timer's lateness
            continue
        lateness.append(completed_at.replace(tzinfo=completed_at.tzinfo or UTC) - due)
    seconds = sorted(late.total_seconds() for late in lateness)
    cuts = statistics.quantiles(seconds, n=100, method="inclusive") if len(seconds) > 1 else []
    print(f"{count} runs started in {started_s:.1f}s ({count / started_s:.0f}/s); every run "
          f"parked {(first_due - parked).total_seconds():.1f}s before the first due instant")  # fmt: skip
    print(f"timers due over {window:g}s ({count / window:.0f}/s): lateness p50 "
          f"{cuts[49] if cuts else 0:.3f}s p99 {cuts[98] if cuts else 0:.3f}s max "
          f"{seconds[-1] if seconds else 0:.3f}s over {len(seconds)} runs")  # fmt: skip
    print(f"worker resident size: {parked_rss:.0f} MB with every run parked, "
          f"{after_rss:.0f} MB after; {late_start} runs started after their due instant")  # fmt: skip
    return 0 if seconds and seconds[-1] < 1.0 else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--window", type=float, default=10.0, help="seconds the dues span")
    parser.add_argument("--margin", type=float, default=60.0,
                        help="seconds between the estimated last start and the first due")  # fmt: skip
    parser.add_argument("--database-url", default=None, help="PostgreSQL server to use")
    arguments = parser.parse_args()
    with scratch_database(arguments.database_url) as database:
        sys.exit(asyncio.run(measure(database, arguments.runs, arguments.window, arguments.margin)))
