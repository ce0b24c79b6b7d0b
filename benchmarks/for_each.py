"""A ``for_each`` over many items: history events and wall time per item.

One HTTP call per item to a loopback peer, at concurrency 1 and 20, on a Temporal dev server.
The run continues-as-new as its history grows, so the events are summed over the whole chain.

    .venv/bin/python -m benchmarks.for_each [--items 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from activities.http import http_session
from definitions.loading import load_definition
from storage.db import make_engine, upgrade
from tests.helpers.peers import RecordingHttpServer
from tests.helpers.temporal import loopback_actions
from worker.composition import build_worker
from workflows.contract import RunInput
from workflows.interpreter import RelayRun


def definition(concurrency: int) -> dict[str, object]:
    return {
        "name": f"Loop, concurrency {concurrency}",
        "steps": [
            {"id": "each", "type": "for_each", "items": "{{ items }}", "as": "item",
             "concurrency": concurrency,
             "body": [{"id": "call", "type": "http_request", "url": "{{ url }}",
                       "body": {"n": "{{ item }}"}}]},
        ],
    }  # fmt: skip


async def history_events(client: Client, workflow_id: str) -> tuple[int, int]:
    """Events over every execution of the run's continue-as-new chain, and the chain's length."""
    total, executions = 0, 0
    run_id = (await client.get_workflow_handle(workflow_id).describe()).run_id
    while run_id:
        executions += 1
        history = await client.get_workflow_handle(workflow_id, run_id=run_id).fetch_history()
        total += len(history.events)
        started = history.events[0].workflow_execution_started_event_attributes
        run_id = started.continued_execution_run_id  # the execution this one continued
    return total, executions


async def measure(client: Client, queue: str, items: int, concurrency: int, url: str) -> None:
    canonical = load_definition(definition(concurrency)).canonical()
    run_id = f"bench-loop-{concurrency}-{uuid.uuid4().hex[:8]}"
    trigger = {"type": "manual", "id": run_id, "occurred_at": "2026-01-01T00:00:00+00:00",
               "data": {"items": list(range(items)), "url": url}}  # fmt: skip
    began = time.perf_counter()
    result = await client.execute_workflow(
        RelayRun.run,
        RunInput("bench", "wf_loop", "loop", 1, canonical, trigger),
        id=run_id,
        task_queue=queue,
    )
    wall = time.perf_counter() - began
    events, executions = await history_events(client, run_id)
    print(
        f"concurrency {concurrency:3d}: {items} items in {wall:6.2f}s = {wall / items * 1000:6.2f} ms/item, "
        f"{events / items:5.2f} history events/item over {executions} execution(s), {result.status}"
    )


async def main(items: int) -> None:
    with tempfile.TemporaryDirectory() as directory, RecordingHttpServer() as peer:
        url = f"sqlite:///{directory}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(Path(sys.executable).parent / "temporal")
        )
        async with env, http_session() as http:
            actions = loopback_actions(engine, http)  # console email and SMS
            queue = f"bench-{uuid.uuid4().hex[:6]}"
            async with build_worker(env.client, queue, engine, actions):
                for concurrency in (1, 20):
                    await measure(env.client, queue, items, concurrency, peer.url("/item"))


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=1000)
    asyncio.run(main(parser.parse_args().items))
