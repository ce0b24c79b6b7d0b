"""End to end: webhooks posted at a fixed concurrency, and how fast their runs finish.

    .venv/bin/python -m benchmarks.end_to_end [--workload set|http ...] [--concurrency 1 10 50]
        [--duration 20] [--workers N] [--apis 1] [--worker-processes N] [--no-codec]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres] [--json]

Starts the stack as separate processes on loopback (``benchmarks.stack``: Temporal on a file,
``--workers`` ``relay worker`` processes — by default one per core, as ``relay dev`` runs them:
one Python process keeps at most one core busy — and ``--apis`` ``relay api`` processes; every
payload they hand Temporal sealed by the payload codec, as ``relay dev`` runs them, unless
``--no-codec``), a loopback HTTP receiver, and for each workload and concurrency a bounded
asyncio load generator: ``concurrency`` clients each posting to the workflow's incoming
webhook, one request after another, for ``--duration`` seconds (a client posts to the APIs in
turn). Then it waits for every accepted event's run to end and prints, per round:

- ``accepted/s``: webhooks answered 202 per second of load;
- ``finished/s``: those runs' ends per second, from the first post to the last run's end;
- ``request`` p50/p99: the webhook's answer time;
- ``event→effect`` p50/p99: from posting the webhook to its run's end in the database (the
  ``set`` step is the run's last: its end is the effect);
- ``lost``: accepted events without a run, and runs not ``completed`` (open or failed);
- CPU of every process: % of one core over the round, and ms per finished run (what a busy
  machine's noise affects least); its resident memory (MB) at the round's end;
- ``machine``: how busy all the machine's cores were over the round (% of all of them) and the
  CPU ms they spent per finished run — the stack's processes, and also the database server,
  this load generator and its receiver, and the kernel's work for them: when it nears 100%,
  the machine, not a queue, bounds the round; and, of that, the CPU ms per run of this
  process (``load``: the load generator, the receiver and the wait for the runs' ends);
- ``steal``: the share of the cores' time the host ran other machines on while this one had
  work for them — time neither busy nor idle here. A round with steal ran on a slower machine;
- ``history``: Temporal history events and workflow tasks per run (the median over a sample
  of the round's runs): the round trips a run costs the server; and how many runs of the
  sample had a workflow task time out or fail (``troubled``: each cost its run seconds).

Workloads: ``set`` (webhook → set) and ``http`` (webhook → HTTP call to the receiver → set).
With a PostgreSQL URL the stack runs on a new database of that server, dropped after.
``tests/benchmarks`` runs it tiny. Figures on a shared machine are noisy: compare pairs run
back to back.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func
from sqlalchemy.engine import Engine, make_url
from sqlmodel import col, select
from temporalio.client import Client

from benchmarks.stack import Process, Stack, stack_database
from storage.db import make_engine, session_scope, upgrade
from storage.models import Run
from storage.payload_codec import ENCODING, EncryptionCodec
from storage.tenants import create_tenant
from tests.helpers.peers import RecordingHttpServer
from worker.processes import default_processes

WORKLOADS = ("set", "http")
OPEN = ("running", "waiting")
_TICKS = os.sysconf("SC_CLK_TCK")
_TASK_TROUBLE = {
    "workflow_task_timed_out_event_attributes",
    "workflow_task_failed_event_attributes",
}


@dataclass
class Round:
    workload: str
    concurrency: int
    database: str
    workers: int
    apis: int
    codec: bool = True
    """Payloads sealed by the payload codec (``storage.payload_codec``)."""
    duration_s: float = 0.0
    accepted: int = 0
    refused: int = 0
    accepted_per_s: float = 0.0
    finished_per_s: float = 0.0
    request_p50_ms: float = 0.0
    request_p99_ms: float = 0.0
    effect_p50_ms: float = 0.0
    effect_p99_ms: float = 0.0
    lost: int = 0
    """Accepted events without a run row."""
    unfinished: int = 0
    """Runs not ``completed`` when the wait ended (open, or failed)."""
    cpu_percent: dict[str, float] = field(default_factory=dict)
    cpu_ms_per_run: dict[str, float] = field(default_factory=dict)
    """CPU each process spent per finished run: what a loaded machine's noise affects least."""
    rss_mb: dict[str, float] = field(default_factory=dict)
    machine_busy_percent: float = 0.0
    """How busy every core of the machine was over the round (% of all of them)."""
    machine_cpu_ms_per_run: float = 0.0
    """CPU ms the whole machine spent per finished run, whatever spent it."""
    steal_percent: float = 0.0
    """The share of the cores' time the host gave to other machines while this one had work
    for them (Linux's steal time): not in ``machine``, and the usual reason the same round
    runs slower from one hour to the next on a shared host."""
    load_cpu_ms_per_run: float = 0.0
    """CPU ms this process spent per finished run — the load generator, the receiver, the
    wait for the runs' ends: part of ``machine``, not the stack's."""
    history_events: float = 0.0
    """Temporal history events per run (median over a sample of the round's runs)."""
    workflow_tasks: float = 0.0
    """Workflow tasks per run (median over the same sample)."""
    troubled_runs: int = 0
    """Runs of the sample with a workflow task that timed out or failed."""
    sampled_runs: int = 0
    sealed_runs: int = 0
    """Runs of the sample whose input (the trigger event) Temporal holds encrypted."""

    def line(self) -> str:
        cpu = " ".join(
            f"{name} {value:.0f}% {self.cpu_ms_per_run.get(name, 0):.0f}ms"
            for name, value in self.cpu_percent.items()
        )
        rss = " ".join(f"{name} {value:.0f}" for name, value in self.rss_mb.items())
        return (
            f"{self.workload:4} c{self.concurrency:<3} {self.database:10} "
            f"w{self.workers} a{self.apis}{'' if self.codec else ' no codec'}  "
            f"accepted/s {self.accepted_per_s:6.1f}  "
            f"finished/s {self.finished_per_s:6.1f}  request p50/p99 "
            f"{self.request_p50_ms:.0f}/{self.request_p99_ms:.0f} ms  event→effect p50/p99 "
            f"{self.effect_p50_ms:.0f}/{self.effect_p99_ms:.0f} ms  accepted {self.accepted} "
            f"lost {self.lost} unfinished {self.unfinished}  history {self.history_events:.0f} "
            f"events {self.workflow_tasks:.0f} tasks {self.troubled_runs} troubled  cpu {cpu}  "
            f"machine {self.machine_busy_percent:.0f}% {self.machine_cpu_ms_per_run:.0f}ms "
            f"(load {self.load_cpu_ms_per_run:.1f}ms) steal {self.steal_percent:.0f}%  "
            f"rss MB {rss}"
        )


def definition(workload: str, receiver: RecordingHttpServer) -> dict[str, Any]:
    steps: list[dict[str, Any]] = []
    if workload == "http":
        steps.append(
            {
                "id": "call",
                "type": "http_request",
                "method": "POST",
                "url": receiver.url("/effect"),
                "body": {"n": "{{ n }}"},
            }
        )
    steps.append({"id": "done", "type": "set", "values": {"n": "{{ n }}"}})
    return {"name": f"bench {workload}", "trigger": {"type": "webhook"}, "steps": steps}


class Bench:
    """One stack, and the rounds run against it."""

    def __init__(self, stack: Stack, engine: Engine, key: str, receiver: RecordingHttpServer):
        self.stack = stack
        self.engine = engine
        self.auth = {"Authorization": f"Bearer {key}"}
        self.receiver = receiver

    async def hook(self, http: httpx.AsyncClient, workload: str) -> tuple[str, list[str]]:
        """A new active workflow of ``workload``: its id and its webhook URL on every API."""
        api = self.stack.api_url
        created = await http.post(
            f"{api}/v1/workflows", json=definition(workload, self.receiver), headers=self.auth
        )
        created.raise_for_status()
        workflow_id = created.json()["id"]
        activated = await http.post(f"{api}/v1/workflows/{workflow_id}/activate", headers=self.auth)
        activated.raise_for_status()
        hook = await http.post(f"{api}/v1/workflows/{workflow_id}/hook", json={}, headers=self.auth)
        hook.raise_for_status()
        path = hook.json()["url"]
        return workflow_id, [f"{url}{path}" for url in self.stack.api_urls]

    async def round(
        self, http: httpx.AsyncClient, workload: str, concurrency: int, duration: float, wait: float
    ) -> Round:
        figures = Round(
            workload,
            concurrency,
            make_url(self.stack.database_url).get_backend_name(),
            len(self.stack.workers),
            len(self.stack.apis),
            codec=bool(self.stack.codec_keys),
        )
        workflow_id, urls = await self.hook(http, workload)
        sent: dict[str, float] = {}
        request_ms: list[float] = []
        counter = itertools.count()
        cpu_before = {name: _cpu_seconds(p) for name, p in self.stack.processes().items()}
        machine_before = _machine_cpu_seconds()
        load_before = time.process_time()
        began = time.time()
        deadline = time.monotonic() + duration

        async def client(index: int) -> None:
            url = urls[index % len(urls)]
            while time.monotonic() < deadline:
                n = next(counter)
                event_id = f"e{n}-{uuid.uuid4().hex[:8]}"
                at, clock = time.time(), time.perf_counter()
                try:
                    answer = await http.post(
                        url, json={"n": n}, headers={"Idempotency-Key": event_id}, timeout=60
                    )
                except httpx.HTTPError:
                    figures.refused += 1
                    continue
                request_ms.append((time.perf_counter() - clock) * 1000)
                if answer.status_code == 202:
                    sent[event_id] = at
                else:
                    figures.refused += 1

        await asyncio.gather(*(client(i) for i in range(concurrency)))
        figures.duration_s = round(time.time() - began, 2)
        figures.accepted = len(sent)
        figures.accepted_per_s = round(len(sent) / figures.duration_s, 1)
        await self._drain(workflow_id, len(sent), wait)
        load = time.process_time() - load_before
        ended = time.time()
        used = {
            name: _cpu_seconds(p) - cpu_before.get(name, 0.0)
            for name, p in self.stack.processes().items()
        }
        figures.cpu_percent = {
            name: round(100 * s / (ended - began), 1) for name, s in used.items()
        }
        busy, total, stolen = (
            after - before
            for after, before in zip(_machine_cpu_seconds(), machine_before, strict=True)
        )
        figures.rss_mb = {name: _rss_mb(p) for name, p in self.stack.processes().items()}
        finished = self._measure(figures, workflow_id, sent, request_ms)
        figures.cpu_ms_per_run = {
            name: round(1000 * s / max(finished, 1), 1) for name, s in used.items()
        }
        figures.machine_busy_percent = round(100 * busy / max(total, 1e-9), 1)
        figures.machine_cpu_ms_per_run = round(1000 * busy / max(finished, 1), 1)
        figures.steal_percent = round(100 * stolen / max(total, 1e-9), 1)
        figures.load_cpu_ms_per_run = round(1000 * load / max(finished, 1), 1)
        await self._count_history(figures, workflow_id)
        return figures

    async def _count_history(self, figures: Round, workflow_id: str, sample: int = 100) -> None:
        """History events and workflow tasks per run, over ``sample`` of the round's runs; how
        many of them had a workflow task time out or fail (each costs its run seconds), and
        how many Temporal holds sealed."""
        with session_scope(self.engine) as session:
            run_ids = session.exec(
                select(Run.id).where(Run.workflow_id == workflow_id).limit(sample)
            ).all()
        client = await Client.connect(f"127.0.0.1:{self.stack.temporal_port}")
        events: list[int] = []
        tasks: list[int] = []
        for run_id in run_ids:
            history = await client.get_workflow_handle(run_id).fetch_history()
            kinds = [e.WhichOneof("attributes") for e in history.events]
            events.append(len(kinds))
            tasks.append(kinds.count("workflow_task_completed_event_attributes"))
            started = history.events[0].workflow_execution_started_event_attributes
            figures.sampled_runs += 1
            figures.sealed_runs += started.input.payloads[0].metadata["encoding"] == ENCODING
            if _TASK_TROUBLE.intersection(kinds):
                figures.troubled_runs += 1
        if events:
            figures.history_events = statistics.median(events)
            figures.workflow_tasks = statistics.median(tasks)

    async def _drain(self, workflow_id: str, expected: int, wait: float) -> None:
        """Until ``expected`` runs of the workflow have ended (or ``wait`` s passed)."""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            with session_scope(self.engine) as session:
                ended = session.exec(
                    select(func.count())
                    .select_from(Run)
                    .where(Run.workflow_id == workflow_id, col(Run.status).not_in(OPEN))
                ).one()
            if ended >= expected:
                return
            await asyncio.sleep(0.2)

    def _measure(
        self, figures: Round, workflow_id: str, sent: dict[str, float], request_ms: list[float]
    ) -> int:
        """The round's figures from its runs; returns how many finished."""
        with session_scope(self.engine) as session:
            runs = session.exec(
                select(Run.event_id, Run.status, Run.completed_at).where(
                    Run.workflow_id == workflow_id
                )
            ).all()
        ends = {
            event_id: completed_at.replace(tzinfo=completed_at.tzinfo or UTC).timestamp()
            for event_id, status, completed_at in runs
            if status == "completed" and completed_at is not None and event_id in sent
        }
        figures.lost = len(set(sent) - {event_id for event_id, _, _ in runs})
        figures.unfinished = len(sent) - len(ends) - figures.lost
        effect_ms = [(end - sent[event_id]) * 1000 for event_id, end in ends.items()]
        if ends:
            span = max(ends.values()) - min(sent.values())
            figures.finished_per_s = round(len(ends) / max(span, 1e-3), 1)
        figures.request_p50_ms, figures.request_p99_ms = _percentiles(request_ms)
        figures.effect_p50_ms, figures.effect_p99_ms = _percentiles(effect_ms)
        return len(ends)


def _percentiles(values: list[float]) -> tuple[float, float]:
    if len(values) < 2:
        return (round(values[0], 1), round(values[0], 1)) if values else (0.0, 0.0)
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return round(cuts[49], 1), round(cuts[98], 1)


def _cpu_seconds(process: Process) -> float:
    """User + system CPU seconds of ``process`` so far (Linux ``/proc``)."""
    try:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS


def _machine_cpu_seconds() -> tuple[float, float, float]:
    """CPU seconds all cores were busy, all they had, and those the host took for others
    (steal), since boot (Linux ``/proc/stat``): idle, waiting for I/O and stolen are not busy;
    guest time is already counted in user time."""
    ticks = [int(n) for n in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    idle, steal = ticks[3] + ticks[4], ticks[7]
    return (sum(ticks) - idle - steal) / _TICKS, sum(ticks) / _TICKS, steal / _TICKS


def _rss_mb(process: Process) -> float:
    try:
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return 0.0


async def run(
    workloads: list[str],
    concurrencies: list[int],
    *,
    database_url: str = "sqlite://",
    workers: int = 1,
    apis: int = 1,
    duration: float = 20,
    wait: float = 300,
    warmup: int = 20,
    worker_arguments: tuple[str, ...] = (),
    codec: bool = True,
    report: Any = None,
) -> list[Round]:
    """Every round of ``workloads`` × ``concurrencies`` on one stack; ``report`` is called
    with each round as it ends."""
    rounds: list[Round] = []
    with (
        tempfile.TemporaryDirectory(prefix="relay-e2e-") as tmp,
        RecordingHttpServer() as receiver,
        stack_database(database_url, Path(tmp)) as url,
    ):
        upgrade(url)
        engine = make_engine(url)
        with session_scope(engine) as session:
            _, key = create_tenant(session, "end to end")
        codec_keys = EncryptionCodec.generate_key() if codec else ""
        stack = Stack(Path(tmp), url, apis=apis, codec_keys=codec_keys)
        try:
            stack.start_temporal()
            for _ in range(workers):
                stack.start_worker(*worker_arguments)
            for index in range(apis):
                stack.start_api(index)
            bench = Bench(stack, engine, key, receiver)
            limits = httpx.Limits(max_connections=max(concurrencies) + 10)
            async with httpx.AsyncClient(limits=limits, timeout=60) as http:  # a loaded API is slow
                for workload in workloads:
                    if warmup:  # the first runs also pay for imports and connections
                        await _warm_up(bench, http, workload, warmup)
                    for concurrency in concurrencies:
                        figures = await bench.round(http, workload, concurrency, duration, wait)
                        rounds.append(figures)
                        if report is not None:
                            report(figures)
        finally:
            stack.stop()
            engine.dispose()
    return rounds


async def _warm_up(bench: Bench, http: httpx.AsyncClient, workload: str, events: int) -> None:
    workflow_id, urls = await bench.hook(http, workload)
    for n in range(events):
        answer = await http.post(urls[n % len(urls)], json={"n": n}, timeout=60)
        answer.raise_for_status()
    await bench._drain(workflow_id, events, 120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workload", action="append", choices=WORKLOADS)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 10, 50])
    parser.add_argument("--duration", type=float, default=20, help="seconds of load per round")
    parser.add_argument("--wait", type=float, default=300, help="seconds to wait for the runs")
    parser.add_argument(
        "--workers",
        type=int,
        default=default_processes(),
        help="relay worker processes (default: one per core, as relay dev runs them)",
    )
    parser.add_argument(
        "--worker-processes",
        type=int,
        default=None,
        help="each relay worker's --processes (default: its own default)",
    )
    parser.add_argument("--apis", type=int, default=1, help="relay api processes")
    parser.add_argument("--database-url", default="sqlite://")
    parser.add_argument(
        "--no-codec",
        dest="codec",
        action="store_false",
        help="hand Temporal payloads in clear (relay dev seals them)",
    )
    parser.add_argument("--json", action="store_true", help="one JSON line per round")
    args = parser.parse_args(argv)
    worker_arguments: tuple[str, ...] = ()
    if args.worker_processes is not None:
        worker_arguments = ("--processes", str(args.worker_processes))

    def report(figures: Round) -> None:
        print(json.dumps(asdict(figures)) if args.json else figures.line(), flush=True)

    rounds = asyncio.run(
        run(
            args.workload or list(WORKLOADS),
            args.concurrency,
            database_url=args.database_url,
            workers=args.workers,
            apis=args.apis,
            duration=args.duration,
            wait=args.wait,
            worker_arguments=worker_arguments,
            codec=args.codec,
            report=report,
        )
    )
    return 0 if all(r.lost == r.unfinished == 0 for r in rounds) else 1


if __name__ == "__main__":
    sys.exit(main())
