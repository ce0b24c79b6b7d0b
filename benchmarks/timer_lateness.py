"""Timers under many waiting runs (issue 17): how late a wait ends when thousands of runs are
parked in one, and how much memory the worker and Temporal hold meanwhile.

    .venv/bin/python -m benchmarks.timer_lateness [--runs 10000] [--spread 600] [--lead S]
        [--workers N] [--database-url URL] [--no-codec]

The stack as separate processes (Temporal on a file, ``--workers`` processes of ``relay worker
--processes 1`` — one by default, whose memory is the figure to watch; ``relay dev`` runs one
per core — and one ``relay api``), payloads sealed by the codec as ``relay dev`` seals them
unless ``--no-codec``. Every run waits until its own instant (``until``), the instants spread
evenly over ``--spread`` seconds starting ``--lead`` seconds after the first event is posted
(long enough for every run to be parked first), then a ``set`` step ends it. Events are posted
in lists of 100.

Printed: how fast the runs were accepted, the resident memory of each process once all of them
wait, and per run, as p50, p99 and max, the lateness of its wait — when it ended (the
workflow's clock as its timer fired, what the run's page shows) minus the instant it waited
for — and of the run — when its next step began, after the wait's bookkeeping (the wait
recorded completed, its watches dropped); and how many were parked only after their instant
had passed. Then, from Temporal's histories of the latest waits and of a sample of all, where
the lateness arose: the timer that ended the wait was *set* for after the instant (Temporal
counts a timer from when the workflow task that sets it completes, which is late by as long as
the worker took to answer it), Temporal *fired* it after its time, or the worker *took* the
next workflow task after it fired.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import col, func, select
from temporalio.client import Client

from benchmarks.end_to_end import _percentiles, _rss_mb
from benchmarks.stack import Stack, stack_database
from storage.db import make_engine, session_scope, upgrade
from storage.models import Run, RunStep
from storage.payload_codec import EncryptionCodec
from storage.tenants import create_tenant

PARKED = {
    "name": "Timer",
    "trigger": {"type": "event", "event": "timer.set", "entity": "{{ n }}"},
    "steps": [
        {"id": "pause", "type": "wait", "until": "{{ due }}"},
        {"id": "done", "type": "set", "values": {"n": "{{ n }}"}},
    ],
}
LIST = 100
"""Events per request."""
LATEST, SAMPLE = 20, 200
"""Waits whose histories are read to tell where the lateness arose: the latest, and a sample
of all."""


def _count(engine: Engine, status: str, workflow_id: str) -> int:
    with session_scope(engine) as session:
        query = select(func.count()).where(Run.workflow_id == workflow_id, Run.status == status)
        return int(session.exec(query).one())


def _waits(
    engine: Engine, workflow_id: str
) -> list[tuple[str, datetime, datetime | None, Any, datetime | None]]:
    """Each run's wait step: its run, when it began, when it ended and its output (``until``);
    and when the run went on (its next step began, after the wait's bookkeeping)."""
    of_workflow = RunStep.workflow_id == workflow_id
    with session_scope(engine) as session:
        waits = session.exec(
            select(RunStep.run_id, RunStep.started_at, RunStep.completed_at, RunStep.output)
            .where(of_workflow, col(RunStep.node_id) == "pause")
        ).all()  # fmt: skip
        went_on = dict(
            session.exec(
                select(RunStep.run_id, RunStep.started_at)
                .where(of_workflow, col(RunStep.node_id) == "done")
            ).all()
        )  # fmt: skip
    return [
        (run, began, ended, output or {}, went_on.get(run))
        for run, began, ended, output in waits
        if began is not None
    ]


async def _timer_phases(
    client: Client, run_id: str, until: datetime
) -> tuple[float, float, float] | None:
    """From the run's history, in ms: how long after ``until`` the timer that ended its wait
    (the last: a long wait's first ends before the instant) was set to fire, how late Temporal
    fired it, and how long after that the worker took the next workflow task."""
    history = await client.get_workflow_handle(run_id).fetch_history()
    by_id = {event.event_id: event for event in history.events}
    for event in reversed(history.events):
        if event.WhichOneof("attributes") != "timer_fired_event_attributes":
            continue
        started = by_id[event.timer_fired_event_attributes.started_event_id]
        duration = started.timer_started_event_attributes.start_to_fire_timeout.ToTimedelta()
        planned = started.event_time.ToDatetime(tzinfo=UTC) + duration
        fired = event.event_time.ToDatetime(tzinfo=UTC)
        taken = next(
            later.event_time.ToDatetime(tzinfo=UTC)
            for later in history.events[event.event_id :]
            if later.WhichOneof("attributes") == "workflow_task_started_event_attributes"
        )
        return (
            (planned - until).total_seconds() * 1000,
            (fired - planned).total_seconds() * 1000,
            (taken - fired).total_seconds() * 1000,
        )
    return None


async def _print_phases(client: Client, what: str, waits: list[tuple[str, datetime]]) -> None:
    found = [p for run, until in waits if (p := await _timer_phases(client, run, until))]
    parts = []
    for name, values in zip(("set", "fired", "taken"), zip(*found, strict=True), strict=True):
        p50, _ = _percentiles(list(values))
        parts.append(f"{name} p50 {p50:.0f} max {max(values):.0f} ms")
    print(f"{what} ({len(found)}), late by: " + "; ".join(parts))


async def main(
    runs: int, spread: float, lead: float, workers: int, database_url: str, codec: bool
) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="relay-timers-") as tmp,
        stack_database(database_url, Path(tmp)) as url,
    ):
        upgrade(url)
        engine = make_engine(url)
        with session_scope(engine) as session:
            _, key = create_tenant(session, "timers")
        codec_keys = EncryptionCodec.generate_key() if codec else ""
        stack = Stack(Path(tmp), url, codec_keys=codec_keys)
        try:
            stack.start_temporal()
            for _ in range(workers):
                stack.start_worker("--processes", "1")
            stack.start_api()
            auth = {"Authorization": f"Bearer {key}"}
            async with httpx.AsyncClient(base_url=stack.api_url, headers=auth, timeout=120) as api:
                created = (await api.post("/v1/workflows", json=PARKED)).json()
                workflow_id = created["id"]
                (await api.post(f"/v1/workflows/{workflow_id}/activate")).raise_for_status()
                first_due = datetime.now(UTC) + timedelta(seconds=lead)
                due = [first_due + timedelta(seconds=spread * i / runs) for i in range(runs)]
                gate = asyncio.Semaphore(4)
                began = time.monotonic()

                async def post(start: int) -> None:
                    events = [
                        {
                            "type": "timer.set",
                            "id": f"t{i}-{uuid.uuid4().hex[:6]}",
                            "data": {"n": i, "due": due[i].isoformat()},
                        }
                        for i in range(start, min(start + LIST, runs))
                    ]
                    async with gate:
                        (await api.post("/v1/events", json=events)).raise_for_status()

                await asyncio.gather(*(post(start) for start in range(0, runs, LIST)))
                accepted = time.monotonic() - began
                print(f"{runs} events accepted in {accepted:.0f} s ({runs / accepted:.0f}/s)")
            while (waiting := _count(engine, "waiting", workflow_id)) < runs:
                if datetime.now(UTC) >= first_due:
                    break
                await asyncio.sleep(2)
            rss = {name: _rss_mb(p) for name, p in stack.processes().items()}
            print(f"{waiting} runs waiting after {time.monotonic() - began:.0f} s; RSS MB {rss}")
            deadline = first_due + timedelta(seconds=spread + 600)
            while _count(engine, "completed", workflow_id) < runs:
                if datetime.now(UTC) > deadline:
                    break
                await asyncio.sleep(5)
            waits = _waits(engine, workflow_id)
            late: list[float] = []
            later: list[float] = []
            ended_late: list[tuple[float, str, datetime]] = []
            parked_late = 0
            for run, started, ended, output, went_on in waits:
                until = datetime.fromisoformat(str(output.get("until")))
                if started.replace(tzinfo=UTC) >= until:
                    parked_late += 1
                    continue
                # In ms: ``_percentiles`` keeps one decimal (it rounded seconds to 0.1 s).
                if ended is not None:
                    late.append((ended.replace(tzinfo=UTC) - until).total_seconds() * 1000)
                    ended_late.append((late[-1], run, until))
                if went_on is not None:
                    later.append((went_on.replace(tzinfo=UTC) - until).total_seconds() * 1000)
            for what, values in (("waits ended", late), ("runs went on", later)):
                p50, p99 = _percentiles(values)
                print(
                    f"lateness, {len(values)} {what}: p50 {p50:.0f} ms  p99 {p99:.0f} ms  "
                    f"max {max(values, default=0):.0f} ms"
                )
            print(
                f"parked after their instant: {parked_late}; "
                f"completed {_count(engine, 'completed', workflow_id)} of {runs}"
            )
            ended_late.sort()
            latest = [(run, until) for _, run, until in ended_late[-LATEST:]]
            every = max(1, len(ended_late) // SAMPLE)
            sample = [(run, until) for _, run, until in ended_late[::every]]
            client = await Client.connect(f"127.0.0.1:{stack.temporal_port}")
            await _print_phases(client, f"the {LATEST} latest waits", latest)
            await _print_phases(client, "a sample of all waits", sample)
        finally:
            stack.stop()
            engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--spread", type=float, default=600, help="seconds the instants cover")
    parser.add_argument("--lead", type=float, default=None, help="seconds to the first instant")
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    parser.add_argument("--database-url", default="sqlite://")
    parser.add_argument("--no-codec", dest="codec", action="store_false", help="payloads in clear")
    args = parser.parse_args()
    lead = args.lead if args.lead is not None else 60 + args.runs / 15
    asyncio.run(main(args.runs, args.spread, lead, args.workers, args.database_url, args.codec))
