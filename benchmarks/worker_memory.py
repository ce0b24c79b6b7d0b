"""Worker memory under runs whose workflow task keeps failing and that are then cancelled and
terminated: the resident size of a worker after each round, which must level off.

    .venv/bin/python -m benchmarks.worker_memory [--rounds 5] [--runs 100] [--kind spin]

One process: a Temporal dev server (a child), the worker in this process (so its resident size
is this process's), SQLite. Each round starts ``--runs`` runs of ``RelayRun``, waits until each
has failed a workflow task twice (or ended), asks the open ones to cancel (a failing task cannot
honour it), lets the recoverer terminate them past the grace period, and prints the worker's
resident size and how the runs ended. ``--kind broken``: the interpreter refuses the input in
its first task; ``--kind spin``: a cycle whose wait its ``when`` skips, which the visit budget
must fail (``workflows.policies``) before Temporal's deadlock detector fails the task.

Measured on a shared 2-core machine (load 10-15), 10 spinning runs per round: with a budget of
5,000 visits per task every task hit the deadlock detector and was retried (runs left open,
139 → 306 → 362 MB in two rounds); with 500 visits of the same step the runs fail with the
reason and the worker stays at 167-175 MB. ``--kind broken`` stays flat (about 147 MB).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import time
import uuid
from datetime import timedelta

from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowExecutionStatus

from benchmarks.scratch import scratch_stack
from definitions.loading import load_definition
from runs.control import cancel_run
from runs.deps import RunsDeps
from runs.errors import Conflict
from runs.recovery import Recoverer
from storage.db import session_scope
from storage.models import Run
from storage.runs import start_run
from tests.helpers.temporal import relay_worker
from workflows.contract import RunInput


def resident_mb() -> float:
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * 4096 / 2**20


async def failed_tasks(client: Client, run_id: str) -> int:
    count = 0
    async for event in client.get_workflow_handle(run_id).fetch_history_events():
        count += event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED
    return count


async def _failed_twice(client: Client, run_id: str, deadline: float) -> None:
    """Poll the run's history until its workflow task has failed twice, it has ended, or the
    deadline has passed."""
    failed = await failed_tasks(client, run_id)
    status = (await client.get_workflow_handle(run_id).describe()).status
    if failed >= 2 or status != WorkflowExecutionStatus.RUNNING or time.monotonic() > deadline:
        return
    await asyncio.sleep(0.5)
    await _failed_twice(client, run_id, deadline)


NEVER = {"field": "go", "operator": "equals", "value": "yes"}
SPIN = {
    "name": "Spinner",
    "trigger": {"type": "manual"},
    "nodes": [
        {"id": "check", "type": "condition", "condition": NEVER},
        {"id": "pause", "type": "wait", "duration": "1d", "when": NEVER},
        {"id": "done", "type": "stop"},
    ],
    "edges": [
        {"from": "trigger", "to": "check"},
        {"from": "check", "to": "pause", "when": "false"},
        {"from": "pause", "to": "check"},
        {"from": "check", "to": "done", "when": "true"},
    ],
}
KINDS = {
    "broken": {"steps": "not a list", "trigger": {"type": "manual"}},
    "spin": load_definition(SPIN).canonical(),
}


async def one_round(
    client: Client, deps: RunsDeps, tenant_id: str, task_queue: str, runs: int, kind: str
) -> dict[str, int]:
    """One round; how its runs' executions ended (Temporal's status, counted)."""
    ids = [f"run_mem_{uuid.uuid4().hex}" for _ in range(runs)]
    with session_scope(deps.engine) as session:
        for run_id in ids:
            start_run(session, Run(id=run_id, tenant_id=tenant_id, workflow_id="wf_mem", version=1))
    for run_id in ids:
        await client.start_workflow(
            "RelayRun",
            RunInput(tenant_id, "wf_mem", "memory", 1, KINDS[kind], {"type": "manual"}),
            id=run_id,
            task_queue=task_queue,
        )
    deadline = time.monotonic() + 120
    for run_id in ids:
        await _failed_twice(client, run_id, deadline)
    ended: dict[str, int] = {}
    for run_id in ids:
        status = (await client.get_workflow_handle(run_id).describe()).status
        name = status.name if status is not None else "UNKNOWN"
        ended[name] = ended.get(name, 0) + 1
        with contextlib.suppress(Conflict):  # it ended by itself
            await cancel_run(deps, tenant_id, run_id)
    await Recoverer(deps, tenant_id=tenant_id, batch=runs).pass_once()
    return ended


async def main(rounds: int, runs: int, kind: str) -> None:
    async with (
        scratch_stack("memory") as scratch,
        relay_worker(scratch.env.client, scratch.engine) as worker,
    ):
        deps = RunsDeps.over(scratch.env.client, scratch.engine, worker.task_queue)
        deps.cancel_grace = timedelta(0)
        print(f"start      {resident_mb():7.1f} MB", flush=True)
        for number in range(1, rounds + 1):
            ended = await one_round(
                scratch.env.client, deps, scratch.tenant_id, worker.task_queue, runs, kind
            )
            gc.collect()
            print(f"round {number:3}  {resident_mb():7.1f} MB  {ended}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--kind", choices=sorted(KINDS), default="broken")
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.runs, args.kind))
