"""Analytics, statistics and the flow picture over many runs, seeded straight into the database.

Seeds ``--runs`` runs of one workflow (with 3-5 steps each, and a few hundred runs of other
workflows and tenants beside them) over 30 days, then times each query the API makes:

    .venv/bin/python -m benchmarks.analytics [--runs 100000] [--database-url URL]

Without ``--database-url`` it uses a fresh SQLite file; with a PostgreSQL URL it creates a
scratch database next to the one named, and drops it afterwards.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, insert, text
from sqlalchemy.engine import Engine, make_url

from api.flow_picture import flow_graph, to_svg
from storage.analytics import Period, count_runs, transitions, workflow_analytics
from storage.db import make_engine, session_scope, upgrade
from storage.models import Run, RunStep
from storage.stats import step_stats, workflow_stats
from storage.tenants import create_tenant
from storage.workflows import create_workflow

DEFINITION = {
    "name": "Nurture",
    "trigger": {"type": "event", "event": "lead.created"},
    "nodes": [
        {"id": "ab", "type": "split", "config": {"variants": [{"name": "A"}, {"name": "B"}]}},
        {"id": "mail_a", "type": "send_email", "config": {}},
        {"id": "mail_b", "type": "send_email", "config": {}},
        {"id": "hold", "type": "wait", "config": {}},
        {"id": "call", "type": "http_request", "config": {}},
        {"id": "won", "type": "goal", "config": {"condition": {}, "value": 10}},
    ],
    "edges": [
        {"from": "trigger", "to": "ab"},
        {"from": "ab", "to": "mail_a", "when": "A"},
        {"from": "ab", "to": "mail_b", "when": "B"},
        {"from": "mail_a", "to": "hold"},
        {"from": "mail_b", "to": "hold"},
        {"from": "hold", "to": "call"},
    ],
}
END = datetime(2026, 6, 1, tzinfo=UTC)
BATCH = 5000


def _rows(tenant: str, workflow: str, count: int, rng: random.Random) -> Iterator[
    tuple[dict[str, Any], list[dict[str, Any]]]
]:  # fmt: skip
    for _ in range(count):
        run_id = f"run_{uuid.uuid4().hex}"
        started = END - timedelta(seconds=rng.uniform(0, 30 * 86400))
        variant = rng.choice("AB")
        roll = rng.random()
        path = [
            ("ab", "split", "completed"),
            (f"mail_{variant.lower()}", "send_email", "completed"),
        ]
        goal = None
        if roll < 0.1:
            status, path, goal = "goal_reached", [path[0], ("won", "goal", "completed")], "won"
        elif roll < 0.2:
            status, path = "waiting", [*path, ("hold", "wait", "waiting")]
        elif roll < 0.3:
            status = "failed"
            path = [*path, ("hold", "wait", "completed"), ("call", "http_request", "failed")]
        else:
            status = "completed"
            path = [*path, ("hold", "wait", "completed"), ("call", "http_request", "completed")]
        completed = (
            None if status == "waiting" else started + timedelta(seconds=rng.expovariate(1 / 20))
        )
        run = {
            "id": run_id, "tenant_id": tenant, "workflow_id": workflow, "version": 1,
            "status": status, "entity": None, "event_id": None, "trigger": None, "error": None,
            "started_at": started, "completed_at": completed, "variant": variant, "goal": goal,
            "retry_of": None,
        }  # fmt: skip
        steps = [
            {
                "tenant_id": tenant,
                "run_id": run_id,
                "step_key": node,
                "seq": seq,
                "node_id": node,
                "type": kind,
                "status": step_status,
                "attempts": 1,
                "started_at": started + timedelta(seconds=seq),
                "completed_at": None
                if step_status == "waiting"
                else started + timedelta(seconds=seq + 1),
                "output": None,
                "error": None,
            }  # fmt: skip
            for seq, (node, kind, step_status) in enumerate(path, start=1)
        ]
        yield run, steps


def seed(engine: Engine, runs: int) -> tuple[str, str]:
    rng = random.Random(7)
    with session_scope(engine) as session:
        tenant = create_tenant(session, "Bench")[0].id
        other = create_tenant(session, "Other")[0].id
        workflow = create_workflow(session, tenant, DEFINITION, DEFINITION).id
        noise = create_workflow(session, tenant, DEFINITION, DEFINITION).id
    plan = [(tenant, workflow, runs), (tenant, noise, 500), (other, workflow, 500)]
    for owner, wf, count in plan:
        batch_runs: list[dict[str, Any]] = []
        batch_steps: list[dict[str, Any]] = []
        for run, steps in _rows(owner, wf, count, rng):
            batch_runs.append(run)
            batch_steps += steps
            if len(batch_runs) >= BATCH:
                _write(engine, batch_runs, batch_steps)
                batch_runs, batch_steps = [], []
        _write(engine, batch_runs, batch_steps)
    if engine.dialect.name == "postgresql":
        # Compact tables, the visibility map and planner statistics, as on a live server that
        # autovacuum keeps. Seeding writes each run before its steps, and a step written to an
        # ended run makes the database count that run's steps again (migration 0008): four
        # row versions per run that Relay's own order of writes (steps, then the run's end)
        # never makes, and that index scans would otherwise wade through.
        # Relay never analyses its SQLite file, whose planner then reads the steps in the
        # covering index's GROUP BY order; with ``sqlite_stat1`` it prefers a skip-scan and a
        # sort (about twice as slow).
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("VACUUM FULL"))
            connection.execute(text("VACUUM ANALYZE"))
    return tenant, workflow


def _write(engine: Engine, runs: list[dict[str, Any]], steps: list[dict[str, Any]]) -> None:
    if runs:
        with engine.begin() as connection:
            connection.execute(insert(Run), runs)
            connection.execute(insert(RunStep), steps)


def _timed(label: str, call: Callable[[], Any], repeat: int = 3) -> Any:
    best, result = float("inf"), None
    for _ in range(repeat):
        began = time.perf_counter()
        result = call()
        best = min(best, time.perf_counter() - began)
    print(f"  {label:<44} {best * 1000:8.1f} ms")
    return result


def measure(url: str, runs: int) -> None:
    upgrade(url)
    engine = make_engine(url)
    began = time.perf_counter()
    tenant, workflow = seed(engine, runs)
    print(f"{engine.dialect.name}: seeded {runs:,} runs in {time.perf_counter() - began:.1f} s")
    period = Period(END - timedelta(days=30), END)
    with session_scope(engine) as session:
        figures = _timed(
            "GET /workflows/{id}/analytics",
            lambda: workflow_analytics(session, tenant, workflow, period),
        )
        _timed("GET /stats (every workflow)", lambda: workflow_stats(session, tenant, period))
        _timed(
            "GET /workflows/{id}/stats (steps)",
            lambda: step_stats(session, tenant, workflow, period),
        )

        def picture() -> str:
            moves = transitions(session, tenant, workflow, period)
            runs = count_runs(session, tenant, workflow, period)
            nodes, edges = flow_graph(DEFINITION, runs, moves.visits, moves.entries, moves.pairs)
            return to_svg(nodes, edges, "bench")

        _timed("GET /workflows/{id}/graph?format=svg", picture)
    print(
        f"  ({figures.runs:,} runs in the period, median completion "
        f"{figures.completion.median_seconds} s, {figures.conversions:,} conversions)"
    )
    engine.dispose()


@contextmanager
def scratch_database(url: str | None) -> Iterator[str]:
    if url is None:
        with tempfile.TemporaryDirectory() as directory:
            yield f"sqlite:///{directory}/bench.db"
        return
    name = f"relay_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--database-url", default=None, help="PostgreSQL server to use")
    arguments = parser.parse_args()
    with scratch_database(arguments.database_url) as database:
        measure(database, arguments.runs)
