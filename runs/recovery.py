"""The recoverer: makes the database and Temporal agree, in every worker process.

Each pass (``Recoverer.pass_once``) does bounded work:

1. carries out the outbox's due intents (``storage.outbox``), each claimed under a lease so that
   any number of workers may run it at once:
   - ``start_run``: start the run Temporal could not take when its row was written (or whose
     writer died first); past ``RunsDeps.start_deadline`` the run is failed with the reason;
   - ``event``: hand a record change's event to run intake (its id makes this idempotent);
   - ``terminate``: terminate a cancelled run still open after its grace period;
   - ``migrate``: plan and signal the next batch of an applied migration (``runs.migration``);
2. every ``reconcile_every`` passes, reconciles a page of open run rows with Temporal: one
   visibility query per ``VISIBILITY_CHUNK`` rows names those still running there, and only the
   others are described. A run that closed in Temporal without recording its end (terminated or
   timed out there, or its workflow task kept failing until cancelled) is closed in the database
   as Temporal says; a row with no execution and no pending start is failed. A cursor walks the
   open rows page by page, so 10,000 open runs are swept in a few minutes rather than the
   quarter of an hour one describe per row took.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError, RPCStatusCode

from runs.control import TERMINATE
from runs.deps import RunsDeps
from runs.errors import Unavailable
from runs.intake import accept_event, received
from runs.migration import MIGRATE, dispatch
from runs.starting import START_RUN, execute_start
from storage.db import in_thread, session_scope
from storage.events import resolve_pending
from storage.models import Outbox, Run, WorkflowVersion
from storage.outbox import add_intent, claim, release, settle
from storage.runs import close_open_run, open_runs_after
from storage.workflows import get_version
from workflows.contract import RunInput, RunResult
from workflows.policies import PATCHES

logger = logging.getLogger(__name__)

EVENT = "event"
"""The outbox kind of a record change's event; its key is the event id."""

LEASE = timedelta(seconds=30)
RECONCILE_AFTER = timedelta(seconds=10)
"""A run row younger than this is not reconciled (its start may be in flight)."""
VISIBILITY_CHUNK = 100
"""Run ids per visibility query (the query names each id; its length stays a few kB)."""


def intend_event(session: Session, tenant_id: str, event: dict[str, Any]) -> None:
    """Record, in the caller's transaction, that ``event`` (a record change's, as
    ``storage.records.change_event`` makes it) must be accepted: the recoverer does it unless
    ``event_emitted`` says it has been."""
    occurred = event.get("occurred_at")
    payload = {**event, "occurred_at": occurred.isoformat() if occurred else None}
    add_intent(session, tenant_id, EVENT, str(event["id"]), payload)


def event_emitted(deps: RunsDeps, event_id: str) -> None:
    """The record change's event has been accepted: nothing left for the recoverer (blocking:
    async callers go through ``in_thread``)."""
    with session_scope(deps.engine) as session:
        settle(session, EVENT, event_id)


@dataclass
class Recovered:
    """What one pass did."""

    started: int = 0
    failed: int = 0
    emitted: int = 0
    terminated: int = 0
    reconciled: int = 0
    signalled: int = 0
    """Runs asked to move to another version (applied migrations)."""

    def __bool__(self) -> bool:
        return any(vars(self).values())


@dataclass
class Recoverer:
    deps: RunsDeps
    batch: int = 50
    """Intents claimed, and open rows reconciled, per pass."""
    tenant_id: str | None = None
    """Recover this tenant's runs only (None: every tenant's)."""
    owner: str = field(
        default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    )
    reconcile_every: int = 5
    """Passes between two reconciliations of a page of open run rows."""
    reconcile_batch: int = 500
    """Open run rows per reconciliation (a visibility query per ``VISIBILITY_CHUNK`` of them,
    then a describe per row not running in Temporal)."""
    _cursor: str = field(default="", init=False)
    _passes: int = field(default=0, init=False)

    async def run(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        """Pass after pass until ``stop`` is set; a pass that fails is logged and retried."""
        while not stop.is_set():
            try:
                done = await self.pass_once()
                if done:
                    logger.info("recoverer: %s", done)
            except Exception:  # the database or Temporal is away: try again next pass
                logger.exception("recoverer pass failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    async def pass_once(self, now: datetime | None = None) -> Recovered:
        now = now or datetime.now(UTC)
        done = Recovered()
        intents = await in_thread(self._claim, now)
        for intent in intents:
            await self._carry_out(intent, now, done)
        if self._passes % self.reconcile_every == 0:
            await self._reconcile(now, done)
        self._passes += 1
        return done

    def _claim(self, now: datetime) -> list[Outbox]:
        with session_scope(self.deps.engine) as session:
            return claim(session, self.owner, now, LEASE, self.batch, self.tenant_id)

    async def _carry_out(self, intent: Outbox, now: datetime, done: Recovered) -> None:
        try:
            if intent.kind == START_RUN:
                await self._start(intent, now, done)
            elif intent.kind == EVENT:
                await self._emit(intent, done)
            elif intent.kind == TERMINATE:
                await self._terminate(intent, done)
            elif intent.kind == MIGRATE:
                done.signalled += await dispatch(
                    self.deps, intent.id or 0, intent.key, intent.tenant_id
                )
        except Unavailable as exc:
            await in_thread(self._later, intent, now, exc.detail, done)

    def _later(self, intent: Outbox, now: datetime, reason: str, done: Recovered) -> None:
        """Try again with a backoff (1 s doubling to 30 s) — or, past the deadline, give up."""
        if now - intent.created_at < self.deps.start_deadline:
            backoff = timedelta(seconds=min(2 ** max(intent.attempts - 1, 0), 30))
            with session_scope(self.deps.engine) as session:
                release(session, intent.id or 0, reason, now + backoff)
            return
        error = f"not carried out within {self.deps.start_deadline}: {reason}"
        with session_scope(self.deps.engine) as session:
            settle(session, intent.kind, intent.key, error=error)
            if intent.kind == START_RUN:
                message = f"the run could not be started within {self.deps.start_deadline}"
                closed = close_open_run(
                    session, intent.key, "failed", now, {"message": f"{message}: {reason}"}
                )
                done.failed += int(closed)
                _event_outcome(session, intent, "failed", f"{message}: {reason}")
        logger.error("outbox %s %s given up: %s", intent.kind, intent.key, error)

    async def _start(self, intent: Outbox, now: datetime, done: Recovered) -> None:
        payload: dict[str, Any] = dict(intent.payload or {})
        version = await in_thread(self._version_to_start, intent)
        if version is None:
            return
        run = RunInput(
            tenant_id=payload["tenant_id"],
            workflow_id=payload["workflow_id"],
            workflow_name=payload["workflow_name"],
            version=payload["version"],
            definition=version.definition,
            trigger=payload["trigger"],
            tenant=payload.get("tenant"),
            patches=list(PATCHES),
        )
        status = await execute_start(
            self.deps, run, intent.key, payload.get("entity"), payload.get("deferred_to")
        )
        done.started += int(status == "started")
        await in_thread(self._started, intent)

    def _version_to_start(self, intent: Outbox) -> WorkflowVersion | None:
        """The version a pending start runs; None (and the intent settled) when there is
        nothing to start: the run ended (cancelled before it started) or is gone (retention)."""
        payload: dict[str, Any] = intent.payload or {}
        with session_scope(self.deps.engine) as session:
            row = session.get(Run, intent.key)
            version = get_version(session, payload["workflow_id"], payload["version"])
            if row is None or row.status not in ("running", "waiting") or version is None:
                settle(session, START_RUN, intent.key)
                return None
            return version

    def _started(self, intent: Outbox) -> None:
        outcome, detail = "started", "Temporal could not take the start at first; a worker's "
        detail += "recoverer started the run"
        if deferred := (intent.payload or {}).get("deferred_to"):
            outcome, detail = "deferred", f"{detail}, which begins at {deferred}"
        with session_scope(self.deps.engine) as session:
            _event_outcome(session, intent, outcome, detail)

    async def _emit(self, intent: Outbox, done: Recovered) -> None:
        event = dict(intent.payload or {})
        occurred = event.get("occurred_at")
        trigger = received(
            event["type"],
            id=event["id"],
            occurred_at=datetime.fromisoformat(occurred) if occurred else None,
            entity=event.get("entity"),
            data=event.get("data"),
            previous=event.get("previous"),
        )
        await accept_event(self.deps, intent.tenant_id, trigger)
        await in_thread(event_emitted, self.deps, intent.key)
        done.emitted += 1

    async def _terminate(self, intent: Outbox, done: Recovered) -> None:
        client = await self.deps.temporal()
        try:
            await client.get_workflow_handle(intent.key).terminate(
                reason=f"cancelled, and not ended within {self.deps.cancel_grace}"
            )
            done.terminated += 1
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:  # not found: it has ended meanwhile
                raise Unavailable(f"could not terminate: {exc.message}") from exc
        done.reconciled += int(await in_thread(self._terminated, intent.key))

    def _terminated(self, run_id: str) -> bool:
        with session_scope(self.deps.engine) as session:
            settle(session, TERMINATE, run_id)
            return close_open_run(
                session,
                run_id,
                "cancelled",
                datetime.now(UTC),
                {"message": f"cancelled; terminated after {self.deps.cancel_grace}"},
            )

    async def _reconcile(self, now: datetime, done: Recovered) -> None:
        """Close the open rows of a page whose executions have closed (or never existed)."""
        rows, starting = await in_thread(self._open_page, now)
        self._cursor = rows[-1].id if len(rows) == self.reconcile_batch else ""
        candidates = [row.id for row in rows if row.id not in starting]
        if not candidates:
            return
        client = await self.deps.temporal()
        running = await _running_in_temporal(client, candidates)
        for run_id in candidates:
            if run_id in running:
                continue
            ended = await _ended_in_temporal(client, run_id)
            if ended is None:
                continue
            if await in_thread(self._close, run_id, ended, now):
                logger.warning("run %s closed as Temporal says: %s", run_id, ended)
                done.reconciled += 1

    def _open_page(self, now: datetime) -> tuple[list[Run], set[str]]:
        """The next page of open run rows, and which of them have a start or a termination
        still pending (the outbox carries those out)."""
        with session_scope(self.deps.engine) as session:
            rows = open_runs_after(
                session, self._cursor, now - RECONCILE_AFTER, self.reconcile_batch, self.tenant_id
            )
            starting = {
                i.key
                for i in session.query(Outbox).filter(
                    Outbox.kind.in_((START_RUN, TERMINATE)),  # type: ignore[attr-defined]
                    Outbox.status == "pending",  # type: ignore[arg-type]
                    Outbox.key.in_([r.id for r in rows]),  # type: ignore[attr-defined]
                )
            }
        return rows, starting

    def _close(self, run_id: str, ended: tuple[str, dict[str, Any] | None], now: datetime) -> bool:
        with session_scope(self.deps.engine) as session:
            return close_open_run(session, run_id, ended[0], now, ended[1])


def _event_outcome(session: Session, intent: Outbox, outcome: str, detail: str) -> None:
    """What the recoverer did to a run whose start was ``pending`` becomes the outcome of the
    event that started it (``GET /v1/events/{id}``)."""
    payload: dict[str, Any] = intent.payload or {}
    event_id = (payload.get("trigger") or {}).get("id")
    if event_id:
        resolve_pending(session, intent.tenant_id, str(event_id), intent.key, outcome, detail)


async def _running_in_temporal(client: Any, run_ids: list[str]) -> set[str]:
    """Which of ``run_ids`` Temporal's visibility lists as running. Visibility may lag a close
    by a moment; such a run is seen closed on a later pass. Where visibility cannot answer, no
    run is taken as running, so each is described instead."""
    running: set[str] = set()
    for start in range(0, len(run_ids), VISIBILITY_CHUNK):
        chunk = [i for i in run_ids[start : start + VISIBILITY_CHUNK] if "'" not in i]
        if not chunk:
            continue
        named = ", ".join(f"'{i}'" for i in chunk)
        query = f"ExecutionStatus = 'Running' AND WorkflowId IN ({named})"
        try:
            async for execution in client.list_workflows(query, page_size=len(chunk)):
                running.add(execution.id)
        except RPCError as exc:
            logger.warning("visibility could not list running runs (%s); describing each", exc)
            return set()
    return running


async def _ended_in_temporal(client: Any, run_id: str) -> tuple[str, dict[str, Any] | None] | None:
    """The status and error a run ended with in Temporal; None while it is open there."""
    handle = client.get_workflow_handle(run_id)
    try:
        described = await handle.describe()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return "failed", {"message": "the run has no execution in Temporal"}
        raise Unavailable(f"could not describe run {run_id}: {exc.message}") from exc
    status = described.status
    if status in (None, WorkflowExecutionStatus.RUNNING, WorkflowExecutionStatus.CONTINUED_AS_NEW):
        return None
    if status == WorkflowExecutionStatus.COMPLETED:
        try:
            result: RunResult = await handle.result(result_type=RunResult)
        except Exception:  # an undecodable result: the execution completed all the same
            return "completed", None
        return result.status, result.error
    if status == WorkflowExecutionStatus.CANCELED:
        return "cancelled", None
    if status == WorkflowExecutionStatus.TERMINATED:
        return "failed", {"message": "the run was terminated in Temporal"}
    if status == WorkflowExecutionStatus.TIMED_OUT:
        return "failed", {"message": "the run timed out in Temporal"}
    return "failed", {"message": "the run's execution failed in Temporal"}
