"""Event intake: events/s accepted by ``POST /v1/events`` with many active workflows, of which
few match, against the raw ``start_workflow`` rate on the same server; and the latency from an
event accepted to its run's first activity started.

    .venv/bin/python -m benchmarks.event_intake [--workflows 1000] [--matching 10] [--events 100]

One process: a Temporal dev server, one worker, the API in-process over ASGI, SQLite.

The runs of one event start concurrently per priority wave (``runs.intake``). Measured
back to back on a shared 2-core machine (load 1.5 → 5 from other work), sequential starts vs
waves: 5.5 / 4.8 → 7.6 / 7.2 events/s single (55 → 76 runs/s), batch 4.7 → 8.2 events/s;
posted → first activity p50 ~190 ms → ~1,070 ms, p99 ~450 ms → 6.4–7.6 s, because the one
worker falls behind the faster intake: the runs queue in Temporal's task queue, not in the API.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.deps import ApiDeps
from definitions.loading import load_definition
from runs.starting import run_input
from storage.db import make_engine, session_scope, upgrade
from storage.models import Workflow
from storage.tenants import create_tenant
from storage.workflows import create_workflow, get_version, set_status
from tests.helpers.temporal import relay_worker
from workflows import search_attributes
from workflows.trigger_event import TriggerEvent

BIN = Path(sys.executable).parent


def _definition(event: str) -> dict[str, Any]:
    return load_definition(
        {
            "name": f"on {event}",
            "trigger": {"type": "event", "event": event},
            "steps": [
                {
                    "id": "hi",
                    "type": "send_email",
                    "to": "a@example.com",
                    "subject": "s",
                    "body": "b",
                }
            ],
        }  # fmt: skip
    ).canonical()


async def main(workflows: int, matching: int, events: int, batch: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        with session_scope(engine) as session:
            tenant, key = create_tenant(session, "Bench")
            for index in range(workflows):
                event = "bench.event" if index < matching else f"other.type{index}"
                canonical = _definition(event)
                set_status(
                    session, create_workflow(session, tenant.id, canonical, canonical), "active"
                )
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(BIN / "temporal"),
            search_attributes=search_attributes.ALL,
        )
        try:
            async with relay_worker(env.client, engine) as worker:

                async def connect() -> Client:
                    return env.client

                deps = ApiDeps(
                    engine=engine, connect_temporal=connect, task_queue=worker.task_queue
                )
                transport = httpx.ASGITransport(app=create_app(deps))
                headers = {"Authorization": f"Bearer {key}"}
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://bench", headers=headers, timeout=60
                ) as api:
                    await _report(env.client, api, deps, engine, tenant.id, events, batch, matching)
        finally:
            await env.shutdown()


async def _report(
    client: Client,
    api: httpx.AsyncClient,
    deps: ApiDeps,
    engine: Any,
    tenant_id: str,
    events: int,
    batch: int,
    matching: int,
) -> None:
    def event() -> dict[str, Any]:
        return {"type": "bench.event", "id": f"e-{uuid.uuid4().hex}", "data": {"n": 1}}

    accepted_at: dict[str, float] = {}
    began = time.perf_counter()
    for _ in range(events):
        posted = time.time()  # runs start inside the request: measure from when it was sent
        response = await api.post("/v1/events", json=event())
        assert response.status_code == 202, response.text
        for run in response.json()["runs"]:
            accepted_at[run["id"]] = posted
    single = time.perf_counter() - began

    began = time.perf_counter()
    for _ in range(events // batch):
        response = await api.post("/v1/events", json=[event() for _ in range(batch)])
        assert response.status_code == 202, response.text
    batched = time.perf_counter() - began

    with session_scope(engine) as session:
        workflow = session.get(Workflow, _a_matching_workflow(session, tenant_id))
        assert workflow is not None
        version = get_version(session, workflow.id, 1)
        assert version is not None
        session.expunge_all()
    starts = events * matching
    began = time.perf_counter()
    for _ in range(starts):
        trigger = TriggerEvent(**event(), occurred_at=datetime.now(UTC).isoformat())
        await client.start_workflow(
            "RelayRun",
            run_input(workflow, version, trigger, {"name": "bench"}),
            id=f"raw-{uuid.uuid4().hex}",
            task_queue=deps.task_queue,
        )
    raw = time.perf_counter() - began

    latencies = await _first_activity_latencies(client, accepted_at)
    print(
        f"single POST: {events / single:8.1f} events/s  ({events * matching / single:.0f} runs/s)"
    )
    print(
        f"batch of {batch}: {events / batched:8.1f} events/s  ({events * matching / batched:.0f} runs/s)"
    )
    print(f"raw start_workflow:   {starts / raw:8.1f} starts/s")
    quantiles = statistics.quantiles(latencies, n=100)
    print(f"posted → first activity started: p50 {quantiles[49] * 1000:.0f} ms, "
          f"p99 {quantiles[98] * 1000:.0f} ms (n={len(latencies)})")  # fmt: skip


def _a_matching_workflow(session: Any, tenant_id: str) -> str:
    return str(
        session.exec(
            select(Workflow.id).where(
                Workflow.tenant_id == tenant_id, Workflow.trigger_event == "bench.event"
            )
        ).first()
    )


async def _first_activity_latencies(client: Client, accepted_at: dict[str, float]) -> list[float]:
    latencies = []
    for run_id, accepted in list(accepted_at.items())[:300]:
        handle = client.get_workflow_handle(run_id)
        await handle.result()
        async for event in handle.fetch_history_events():
            if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_STARTED:
                latencies.append(event.event_time.ToDatetime(UTC).timestamp() - accepted)
                break
    return latencies


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workflows", type=int, default=1000)
    parser.add_argument("--matching", type=int, default=10)
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--batch", type=int, default=25)
    args = parser.parse_args()
    asyncio.run(main(args.workflows, args.matching, args.events, args.batch))
