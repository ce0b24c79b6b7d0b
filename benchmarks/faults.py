"""The fault suite: Relay's processes killed in the middle of a burst, and what it cost.

    .venv/bin/python -m benchmarks.faults [--scenario NAME ...] [--events 200]
        [--database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
        [--receiver-dedupes]

Each scenario starts, as separate processes on loopback, a file-backed Temporal dev server, one
or two ``relay worker`` and ``relay api``, and a loopback HTTP receiver counting requests per
idempotency key. It posts a burst of events (each starts one run of three ``http_request``
steps, re-posted under the same id until answered 202, as a client does), injects its fault a
third of the way in, waits for every run to end, and prints:

- ``lost``: events answered 202 without a run row;
- ``phantom``: open run rows with no execution in Temporal;
- ``stuck``: runs still open when the wait ended;
- ``missing`` / ``repeated``: steps of a run whose request never arrived / idempotency keys
  that arrived more than once;
- ``recover_s``: from the fault to the last run's end.

With ``--receiver-dedupes`` the receiver honours ``Idempotency-Key`` (a request with a key it
has seen is answered with the first answer, not acted on again) and the steps say so
(``receiver_dedupes``): a key whose outcome Relay could not know is sent again instead of
failing its step ``outcome_unknown``. Two more figures: ``resent`` (sends beyond a key's first,
from the delivery log's ``sends``) and ``deduped`` (requests the receiver answered from memory);
``repeated`` then counts keys the receiver acted on more than once.

Scenarios: ``worker_kill`` (kill -9 of the worker, restarted after 1 s), ``temporal_restart``
(kill -9 of Temporal, restarted on its file after 2 s), ``api_kill`` (kill -9 of the API while
it ingests, restarted after 1 s), ``slow_receiver`` (the receiver answers the first request of
each call after the step's timeout), ``two_workers`` (two workers, one killed for good).

With a PostgreSQL URL, each scenario runs in its own new database on that server (dropped
after). It exits non-zero when any figure but the time is not 0; ``tests/benchmarks`` runs
``api_kill`` on a small burst.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import Engine, make_url
from sqlmodel import select
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from benchmarks.stack import Stack, kill9, stack_database
from runs.starting import START_RUN
from storage.db import make_engine, session_scope, upgrade
from storage.models import Delivery, Outbox, Run, RunStep
from storage.tenants import create_tenant
from tests.helpers.peers import RecordedRequest, RecordingHttpServer, ScriptedResponse

SCENARIOS = ("worker_kill", "temporal_restart", "api_kill", "slow_receiver", "two_workers")
STEPS = ("a", "b", "c")
SLOW_TIMEOUT_S = 2
"""The ``slow_receiver`` steps' timeout; the receiver answers their first request after 3 s."""


@dataclass
class Figures:
    scenario: str
    database: str
    events: int
    accepted: int = 0
    runs: int = 0
    lost: int = 0
    phantom: int = 0
    stuck: int = 0
    missing: int = 0
    repeated: int = 0
    recover_s: float | None = None
    receiver_dedupes: bool = False
    resent: int = 0
    """Sends beyond a key's first (the delivery log's ``sends``): resends to a deduplicating
    receiver of keys whose outcome was unknown."""
    deduped: int = 0
    """Requests the deduplicating receiver answered with a key's first answer."""
    recovered_starts: int = 0
    """Runs a worker's recoverer started (their start failed or was cut short in the API)."""
    statuses: dict[str, int] = field(default_factory=dict)
    deliveries: dict[str, int] = field(default_factory=dict)
    """The delivery log's rows by status (``storage.claims``) after the burst."""
    steps: dict[str, int] = field(default_factory=dict)
    """The runs' steps by status after the burst."""
    failures: dict[str, int] = field(default_factory=dict)
    """Failed steps by error type and their key's delivery status (``timeout/unknown``)."""
    untrue: int = 0
    """Steps recorded ``completed`` whose request never arrived: a status that lies."""

    @property
    def clean(self) -> bool:
        return not (
            self.lost or self.phantom or self.stuck or self.missing or self.repeated or self.untrue
        )


class CountingReceiver(RecordingHttpServer):
    """Answers 200 and counts; ``slow``: the first request of each path waits 3 s; ``dedupes``:
    a repeated ``Idempotency-Key`` gets the first answer (``RecordingHttpServer``)."""

    def __init__(self, slow: bool = False, dedupes: bool = False) -> None:
        super().__init__(dedupes=dedupes)
        self.slow = slow
        self._seen: set[str] = set()
        self._lock = threading.Lock()

    def _answer(self, request: RecordedRequest) -> ScriptedResponse:
        with self._lock:
            first = request.path not in self._seen
            self._seen.add(request.path)
        return ScriptedResponse(delay=SLOW_TIMEOUT_S + 1.0 if self.slow and first else 0.0)


def definition(receiver: CountingReceiver, slow: bool) -> dict[str, Any]:
    timeout = {"timeout": SLOW_TIMEOUT_S} if slow else {}
    dedupes = {"receiver_dedupes": True} if receiver.dedupes else {}
    return {
        "name": "fault burst",
        "trigger": {"type": "event", "event": "fault.burst"},
        "steps": [
            {
                "id": step,
                "type": "http_request",
                "method": "POST",
                "url": receiver.url(f"/{step}/{{{{ event.id }}}}"),
                "body": {"n": "{{ n }}"},
                **timeout,
                **dedupes,
            }
            for step in STEPS
        ],
    }


async def post_until_accepted(
    http: httpx.AsyncClient, stack: Stack, key: str, event: dict[str, Any], deadline: float
) -> bool:
    """Post ``event`` until it is answered 202 (the same id every time), as a client does."""
    while time.monotonic() < deadline:
        try:
            response = await http.post(
                f"{stack.api_url}/v1/events",
                json=event,
                headers={"Authorization": f"Bearer {key}"},
                timeout=30,
            )
            if response.status_code == 202:
                return True
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.3)
    return False


async def run_scenario(
    scenario: str,
    database_url: str,
    events: int,
    wait_s: float,
    receiver_dedupes: bool = False,
) -> Figures:
    figures = Figures(scenario, make_url(database_url).get_backend_name(), events)
    figures.receiver_dedupes = receiver_dedupes
    with (
        tempfile.TemporaryDirectory(prefix=f"relay-faults-{scenario}-") as tmp,
        CountingReceiver(scenario == "slow_receiver", receiver_dedupes) as receiver,
        stack_database(database_url, Path(tmp)) as url,
    ):
        upgrade(url)
        engine = make_engine(url)
        with session_scope(engine) as session:
            tenant, key = create_tenant(session, f"faults {scenario}")
            tenant_id = tenant.id
        stack = Stack(Path(tmp), url, task_queue="faults")
        try:
            stack.start_temporal()
            stack.start_worker()
            if scenario == "two_workers":
                stack.start_worker()
            stack.start_api()
            async with httpx.AsyncClient(timeout=60) as http:  # a loaded API is slow
                auth = {"Authorization": f"Bearer {key}"}
                document = definition(receiver, scenario == "slow_receiver")
                created = await http.post(
                    f"{stack.api_url}/v1/workflows", json=document, headers=auth
                )
                created.raise_for_status()
                workflow_id = created.json()["id"]
                activated = await http.post(
                    f"{stack.api_url}/v1/workflows/{workflow_id}/activate", headers=auth
                )
                activated.raise_for_status()
                fault_at, accepted = await _burst(http, stack, key, scenario, events)
            figures.accepted = len(accepted)
            await _drain(engine, tenant_id, wait_s)
            await _measure(figures, engine, tenant_id, accepted, receiver, stack, fault_at)
        finally:
            stack.stop()
            engine.dispose()
    return figures


async def _burst(
    http: httpx.AsyncClient, stack: Stack, key: str, scenario: str, events: int
) -> tuple[float, set[str]]:
    """Post ``events`` events, 8 at a time, injecting the fault after a third of them."""
    run_tag = uuid.uuid4().hex[:6]
    ids = [f"evt-{run_tag}-{i}" for i in range(events)]
    accepted: set[str] = set()
    fault_at = 0.0
    deadline = time.monotonic() + 300
    queue: asyncio.Queue[str] = asyncio.Queue()
    for event_id in ids:
        queue.put_nowait(event_id)

    third = asyncio.Event()

    async def client() -> None:
        while not queue.empty():
            event_id = queue.get_nowait()
            event = {"type": "fault.burst", "id": event_id, "data": {"n": event_id}}
            if await post_until_accepted(http, stack, key, event, deadline):
                accepted.add(event_id)
                if len(accepted) >= events // 3:
                    third.set()

    async def fault() -> None:
        nonlocal fault_at
        await third.wait()
        fault_at = time.monotonic()
        await asyncio.to_thread(_inject, stack, scenario)

    await asyncio.gather(*(client() for _ in range(8)), fault())
    return fault_at, accepted


def _inject(stack: Stack, scenario: str) -> None:
    if scenario == "worker_kill":
        kill9(stack.workers[0])
        time.sleep(1)
        stack.start_worker()
    elif scenario == "temporal_restart":
        kill9(stack.temporal)
        time.sleep(2)
        stack.start_temporal()
    elif scenario == "api_kill":
        kill9(stack.api)
        time.sleep(1)
        stack.start_api()
    elif scenario == "two_workers":
        kill9(stack.workers[0])


async def _drain(engine: Engine, tenant_id: str, wait_s: float) -> None:
    """Wait until no run of the tenant is open (or ``wait_s`` passed)."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        with session_scope(engine) as session:
            open_runs = session.exec(
                select(Run.id).where(
                    Run.tenant_id == tenant_id,
                    Run.status.in_(("running", "waiting")),  # type: ignore[attr-defined]
                )
            ).first()
        if open_runs is None:
            return
        await asyncio.sleep(1)


async def _measure(
    figures: Figures,
    engine: Engine,
    tenant_id: str,
    accepted: set[str],
    receiver: CountingReceiver,
    stack: Stack,
    fault_at: float,
) -> None:
    with session_scope(engine) as session:
        runs = list(session.exec(select(Run).where(Run.tenant_id == tenant_id)))
    by_event = {r.event_id: r for r in runs}
    figures.runs = len(runs)
    figures.lost = len(accepted - set(by_event))
    figures.statuses = dict(Counter(r.status for r in runs))
    with session_scope(engine) as session:
        figures.recovered_starts = len(
            session.exec(
                select(Outbox.id).where(
                    Outbox.tenant_id == tenant_id, Outbox.kind == START_RUN, Outbox.attempts > 0
                )
            ).all()
        )
        deliveries = session.exec(
            select(Delivery.run_id, Delivery.step_key, Delivery.status).where(
                Delivery.tenant_id == tenant_id
            )
        ).all()
        sends = session.exec(select(Delivery.sends).where(Delivery.tenant_id == tenant_id)).all()
        steps = [
            (step.run_id, step.node_id, step.step_key, step.status, step.error)
            for step in session.exec(select(RunStep).where(RunStep.tenant_id == tenant_id))
        ]
    figures.resent = sum(max(count - 1, 0) for count in sends)
    figures.deliveries = dict(Counter(status for _, _, status in deliveries))
    figures.steps = dict(Counter(status for _, _, _, status, _ in steps))
    delivered = {(run_id, step_key): status for run_id, step_key, status in deliveries}
    figures.failures = dict(
        Counter(
            f"{(error or {}).get('type')}/{delivered.get((run_id, step_key))}"
            for run_id, _, step_key, status, error in steps
            if status == "failed"
        )
    )
    open_runs = [r for r in runs if r.status in ("running", "waiting")]
    figures.stuck = len(open_runs)
    client = await Client.connect(f"127.0.0.1:{stack.temporal_port}")
    for run in open_runs:
        try:
            await client.get_workflow_handle(run.id).describe()
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                figures.phantom += 1
    paths = Counter(r.path for r in receiver.requests)
    # Keys the receiver acted on: a request it deduplicated repeated no effect.
    keys = Counter(r.headers.get("idempotency-key") for r in receiver.requests) - Counter(
        r.headers.get("idempotency-key") for r in receiver.deduped
    )
    figures.deduped = len(receiver.deduped)
    figures.missing = sum(
        1 for event_id in accepted for step in STEPS if not paths[f"/{step}/{event_id}"]
    )
    figures.repeated = sum(1 for count in keys.values() if count > 1)
    event_of = {r.id: r.event_id for r in runs}
    figures.untrue = sum(
        1
        for run_id, node_id, _, status, _ in steps
        if status == "completed" and not paths[f"/{node_id}/{event_of.get(run_id)}"]
    )
    ends = [r.completed_at for r in runs if r.completed_at is not None]
    if ends and not open_runs:
        # completed_at is wall-clock; fault_at is monotonic: convert through "now".
        fault_wall = time.time() - (time.monotonic() - fault_at)
        figures.recover_s = round(max(e.timestamp() for e in ends) - fault_wall, 1)


def _resends(figures: Figures) -> str:
    """The deduplicating receiver's figures, beside missing and repeated (none without it)."""
    if not figures.receiver_dedupes:
        return ""
    return f"resent {figures.resent} deduped {figures.deduped} "


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", action="extend", nargs="+", choices=SCENARIOS)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--wait", type=float, default=300, help="seconds to wait for the runs")
    parser.add_argument("--database-url", default="sqlite://")
    parser.add_argument("--json", action="store_true", help="one JSON line per scenario")
    parser.add_argument(
        "--receiver-dedupes",
        action="store_true",
        help="the receiver honours Idempotency-Key and the steps say so: unknown keys are resent",
    )
    args = parser.parse_args(argv)
    clean = True
    for scenario in args.scenario or SCENARIOS:
        figures = asyncio.run(
            run_scenario(scenario, args.database_url, args.events, args.wait, args.receiver_dedupes)
        )
        clean &= figures.clean
        if args.json:
            print(json.dumps(asdict(figures)), flush=True)
        else:
            print(
                f"{figures.scenario:17} {figures.database:10} events {figures.events} "
                f"accepted {figures.accepted} runs {figures.runs} lost {figures.lost} "
                f"phantom {figures.phantom} stuck {figures.stuck} missing {figures.missing} "
                f"repeated {figures.repeated} {_resends(figures)}recover_s {figures.recover_s} "
                f"recovered_starts {figures.recovered_starts} "
                f"statuses {figures.statuses} steps {figures.steps} "
                f"deliveries {figures.deliveries} failures {figures.failures} "
                f"untrue {figures.untrue}",
                flush=True,
            )
    return 0 if clean else 1


if __name__ == "__main__":
    sys.exit(main())
