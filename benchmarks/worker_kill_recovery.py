"""Recovery after a worker is killed mid-attempt: how long until the run completes, and that
the effect is not sent again.

Two ``relay worker`` processes serve one task queue on a Temporal dev server. A run's one
``http_request`` step reaches a loopback receiver that holds the first request open; the worker
running that attempt is killed with SIGKILL. With the step's ``--timeout`` of 30 s the call is
a local activity (``workflows.policies.runs_locally``), run inside the worker's open workflow
task: that task times out (``WORKFLOW_TASK_TIMEOUT``) and the other worker takes the run's next
one and runs the call again. With a timeout over a minute (``--timeout 2m``) it is an activity
(its worker named by Temporal's pending-activity info): its heartbeats stop and Temporal
retries it on the other worker once ``EFFECT_HEARTBEAT_TIMEOUT`` has passed. Either way the
key's claim was marked ``sent`` before the request left, so once it lapses the retry finds the
key ``unknown`` (the receiver has the request) and the step fails without sending it again; the
run goes on.

    .venv/bin/python -m benchmarks.worker_kill_recovery [--runs 3] [--timeout 30s]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from storage.db import upgrade
from tests.helpers.peers import RecordingHttpServer, ScriptedResponse
from tests.helpers.temporal import run_input
from workflows import search_attributes
from workflows.interpreter import RelayRun
from workflows.policies import WORKFLOW_TASK_TIMEOUT

BIN = Path(sys.executable).parent


def document(timeout: str) -> dict[str, object]:
    return {
        "name": "One call",
        "steps": [{"id": "call", "type": "http_request", "url": "{{ url }}", "timeout": timeout}],
    }


class HoldingPeer(RecordingHttpServer):
    """Holds a key's first request open (its worker dies meanwhile); answers later ones."""

    def __init__(self) -> None:
        super().__init__()
        self.arrivals: list[tuple[float, str]] = []
        self.first_arrived = threading.Event()

    def _respond(self, request: object) -> ScriptedResponse:
        key = getattr(request, "headers", {}).get("idempotency-key", "")
        self.arrivals.append((time.monotonic(), key))
        if len(self.arrivals) == 1:
            self.first_arrived.set()
            return ScriptedResponse(200, {"ok": True}, delay=120)
        return ScriptedResponse(200, {"ok": True})


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "worker.cli", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


async def one_kill(client: Client, env: dict[str, str], step_timeout: str) -> tuple[float, float]:
    """(requests sent again, seconds until the run completes) after the kill."""
    queue = f"kill-{uuid.uuid4().hex[:8]}"
    env = {**env, "RELAY_TASK_QUEUE": queue}
    workers = [start_worker(env), start_worker(env)]
    try:
        with HoldingPeer() as peer:
            handle = await client.start_workflow(
                RelayRun.run,
                run_input(document(step_timeout), {"url": peer.url()}),
                id=f"run_{uuid.uuid4().hex[:12]}",
                task_queue=queue,
                task_timeout=WORKFLOW_TASK_TIMEOUT,  # as runs.starting starts a run
            )
            await asyncio.to_thread(peer.first_arrived.wait, 60)
            holder = await _attempt_worker(client, handle.id)
            victim = next(w for w in workers if w.pid == holder)
            killed = time.monotonic()
            os.kill(victim.pid, signal.SIGKILL)
            await handle.result()
            # The request had left when its worker died: the key is unknown, never re-sent.
            return len(peer.arrivals) - 1, time.monotonic() - killed
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.send_signal(signal.SIGTERM)
                worker.wait(60)  # a loaded machine takes more than 10 s to drain a worker


async def _attempt_worker(client: Client, workflow_id: str) -> int:
    """The pid of the worker running the run's pending attempt (its identity is pid@host):
    an activity's last worker, or for a local activity the worker that started the open
    workflow task it runs in."""
    handle = client.get_workflow_handle(workflow_id)
    for _ in range(200):
        description = await handle.describe()
        pending = description.raw_description.pending_activities
        if pending and pending[0].last_worker_identity:
            return int(pending[0].last_worker_identity.split("@", 1)[0])
        if description.raw_description.HasField("pending_workflow_task"):
            started = [
                event.workflow_task_started_event_attributes.identity
                for event in (await handle.fetch_history()).events
                if event.HasField("workflow_task_started_event_attributes")
            ]
            if started:
                return int(started[-1].split("@", 1)[0])
        await asyncio.sleep(0.05)
    raise RuntimeError("no attempt is running")


async def main(runs: int, step_timeout: str) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite:///{directory}/relay.db"
        upgrade(url)
        env_server = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(BIN / "temporal"),
            search_attributes=search_attributes.ALL,
        )
        try:
            target = env_server.client.service_client.config.target_host
            env = {
                **os.environ,
                "RELAY_DATABASE_URL": url,
                "RELAY_TEMPORAL_ADDRESS": target,
                "RELAY_OUTBOUND_ALLOW": "127.0.0.1",
                "RELAY_SYSTEM_SCHEDULES": "false",
            }
            results = [await one_kill(env_server.client, env, step_timeout) for _ in range(runs)]
        finally:
            await env_server.shutdown()
    resent = sum(int(r) for r, _ in results)
    done = [d for _, d in results]
    print(
        f"worker killed mid-attempt of a step with timeout {step_timeout}, {runs} times (SQLite):"
    )
    print(f"  run completed after                       {_summary(done)}")
    print(f"  requests sent again (must be 0)           {resent}")


def _summary(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.1f} s, "
        f"min {min(values):.1f} s, max {max(values):.1f} s"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--timeout", default="30s", help="the step's timeout: 2m for an activity")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.timeout))
