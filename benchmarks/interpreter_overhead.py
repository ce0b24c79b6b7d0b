"""Interpreter overhead: the same three-action workflow as a Relay definition and hand-written.

Both run N times on one Temporal dev server, one worker with the same settings and the same
activities (console email, console SMS, HTTP to a loopback server), in one process. Prints the
throughput of each, their ratio, and history events per run.

    .venv/bin/python -m benchmarks.interpreter_overhead [--runs 500] [--rounds 3] [--database-url URL]

The baseline runs sandboxed (the SDK's default); RELAY_BENCH_BASELINE_SANDBOX=0 runs it
unsandboxed, as the interpreter is.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.http import http_session
from benchmarks.handwritten import SANDBOXED, HandWrittenThreeActions
from definitions.loading import load_definition
from storage.db import make_engine, session_scope, upgrade
from storage.models import Run
from storage.runs import start_run
from tests.helpers.peers import RecordingHttpServer
from tests.helpers.temporal import loopback_actions
from worker.composition import build_worker
from workflows.contract import RunInput
from workflows.interpreter import RelayRun
from workflows.policies import PATCHES

DEFINITION = {
    "name": "Benchmark: three actions",
    "trigger": {"type": "event", "event": "contact.created"},
    "steps": [
        {"id": "s0", "type": "send_email", "to": "{{ email }}", "subject": "Hi {{ name }}", "body": "Welcome"},
        {"id": "s1", "type": "send_sms", "to": "{{ phone }}", "body": "Hi {{ name }}"},
        {"id": "s2", "type": "http_request", "url": "{{ url }}", "method": "POST", "body": {"name": "{{ name }}"}},
    ],
}  # fmt: skip


async def run_batch(
    client: Client, queue: str, kind: str, runs: int, data: dict[str, Any], engine: Engine
) -> float:
    canonical = load_definition(DEFINITION).canonical()
    began = time.perf_counter()
    handles: list[WorkflowHandle[Any, Any]] = []
    for _ in range(runs):
        run_id = f"bench-{kind}-{uuid.uuid4().hex[:10]}"
        # Both kinds keep the same records: a run row (as the API writes it), steps, deliveries.
        with session_scope(engine) as session:
            start_run(session, Run(id=run_id, tenant_id="bench", workflow_id=kind, version=1))
        if kind == "relay":
            trigger = {"type": "contact.created", "id": run_id, "occurred_at": "2026-01-01T00:00:00+00:00", "data": data}  # fmt: skip
            arg = RunInput(
                "bench", "wf_bench", "Benchmark: three actions", 1, canonical, trigger,
                patches=list(PATCHES),
            )  # fmt: skip
            handles.append(
                await client.start_workflow(RelayRun.run, arg, id=run_id, task_queue=queue)
            )
        else:
            handles.append(
                await client.start_workflow(
                    "HandWrittenThreeActions", data, id=run_id, task_queue=queue
                )
            )
    await asyncio.gather(*(h.result() for h in handles))
    elapsed = time.perf_counter() - began
    history = await handles[0].fetch_history()
    print(f"{kind:12s} {runs} runs in {elapsed:6.2f}s  {runs / elapsed:7.1f} runs/s  "
          f"{len(history.events)} history events/run")  # fmt: skip
    return runs / elapsed


async def main(runs: int, rounds: int, database_url: str | None) -> None:
    with tempfile.TemporaryDirectory() as directory, RecordingHttpServer() as peer:
        url = database_url or f"sqlite:///{directory}/bench.db"
        upgrade(url)
        engine = make_engine(url)
        bin_dir = Path(sys.executable).parent
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(bin_dir / "temporal")
        )
        data = {
            "email": "ann@example.com",
            "name": "Ann",
            "phone": "+14155551234",
            "url": peer.url("/hook"),
        }
        async with env, http_session() as http:
            actions = loopback_actions(engine, http)  # console email and SMS
            queue = f"bench-{uuid.uuid4().hex[:6]}"
            async with build_worker(
                env.client, queue, engine, actions, extra_workflows=[HandWrittenThreeActions]
            ):
                await run_batch(env.client, queue, "relay", 50, data, engine)  # warm-up, both kinds
                await run_batch(env.client, queue, "handwritten", 50, data, engine)
                print("--- measured: alternating rounds, throughput over all of them ---")
                elapsed = {"handwritten": 0.0, "relay": 0.0}
                for _ in range(rounds):
                    for kind in elapsed:
                        elapsed[kind] += runs / await run_batch(
                            env.client, queue, kind, runs, data, engine
                        )
                hand, relay = (rounds * runs / elapsed[k] for k in ("handwritten", "relay"))
                print(f"handwritten {hand:.1f} runs/s, relay {relay:.1f} runs/s")
        sandbox = "sandboxed" if SANDBOXED else "unsandboxed"
        print(f"ratio relay/handwritten ({sandbox}) throughput: {relay / hand:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=500, help="runs per round and kind")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    args = parser.parse_args()
    asyncio.run(main(args.runs, args.rounds, args.database_url))
