"""Run control: cancelling a run in flight, and retrying one as a new run.

Cancellation is Temporal's: the interpreter receives it, marks the steps it had open
``cancelled`` and ends the run ``cancelled`` itself, so the database says what Temporal says.
A run that cannot end itself (its workflow task keeps failing) is terminated after
``RunsDeps.cancel_grace`` by a worker's recoverer (a ``terminate`` intent in the outbox), and
recorded ``cancelled``; a run not yet started (its start pending in the outbox) is cancelled at
once and never starts.
A retry starts a new run of the same version with the same trigger event, linked to the
original by ``retry_of``; the trigger comes from the original execution's start input (exact for
every kind of trigger), or from the stored event once Temporal's retention has dropped it.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from sqlmodel import Session, select
from temporalio.client import Client, WorkflowFailureError
from temporalio.service import RPCError, RPCStatusCode

from runs.deps import RunsDeps
from runs.errors import Conflict, NotFound, Unavailable
from runs.starting import START_RUN, Started, start
from storage.db import in_thread, session_scope
from storage.models import Event, Run, Workflow, WorkflowVersion
from storage.outbox import add_intent, is_pending, settle
from storage.runs import close_open_run
from storage.workflows import get_version
from workflows.contract import RunInput
from workflows.trigger_event import TriggerEvent

OPEN = ("running", "waiting")
TERMINATE = "terminate"
"""The outbox kind of a cancelled run's termination after its grace; its key is the run id."""
CANCEL_WAIT = timedelta(seconds=5)
"""How long ``cancel`` waits for the run to record its end before answering 202 instead."""


def find_run(deps: RunsDeps, tenant: str, run_id: str) -> Run:
    with session_scope(deps.engine) as session:
        run = session.get(Run, run_id)
    if run is None or run.tenant_id != tenant:
        raise NotFound("run", run_id)
    return run


async def cancel_run(deps: RunsDeps, tenant: str, run_id: str) -> bool:
    """Request the run's cancellation; True once it has ended (within ``CANCEL_WAIT``).
    Whatever the run does, it ends: terminated after ``deps.cancel_grace`` if it has not."""
    run = await in_thread(find_run, deps, tenant, run_id)
    if run.status not in OPEN:
        raise Conflict(f"run {run_id!r} has already ended ({run.status}); nothing to cancel")
    if await in_thread(_cancel_unstarted, deps, run_id):
        return True
    handle = (await deps.temporal()).get_workflow_handle(run_id)
    try:
        await handle.cancel()
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            # No execution behind an open row: the row is what is left to end.
            await in_thread(_close, deps, run_id, "the run had no execution in Temporal")
            return True
        raise Unavailable(f"could not cancel run {run_id}: {exc.message}") from exc
    await in_thread(intend_termination, deps, tenant, run_id)
    try:
        await asyncio.wait_for(handle.result(), CANCEL_WAIT.total_seconds())
    except WorkflowFailureError:  # what a cancelled run's result raises
        pass
    except TimeoutError:
        return False
    await in_thread(_settle_termination, deps, run_id)  # it ended: nothing to terminate
    return True  # (or it ended another way before the cancellation reached it)


def intend_termination(deps: RunsDeps, tenant: str, *run_ids: str) -> None:
    """Terminate the cancelled runs after ``deps.cancel_grace`` unless they end themselves
    before (the outbox; blocking: async callers go through ``in_thread``)."""
    with session_scope(deps.engine) as session:
        due = datetime.now(UTC) + deps.cancel_grace
        for run_id in run_ids:
            add_intent(session, tenant, TERMINATE, run_id, {"requested": True}, due_at=due)


def _settle_termination(deps: RunsDeps, run_id: str) -> None:
    with session_scope(deps.engine) as session:
        settle(session, TERMINATE, run_id)


def _cancel_unstarted(deps: RunsDeps, run_id: str) -> bool:
    """Cancel a run whose start is still pending in the outbox: it will never start."""
    with session_scope(deps.engine) as session:
        if not is_pending(session, START_RUN, run_id):
            return False
        settle(session, START_RUN, run_id, error="cancelled before it started")
        close_open_run(session, run_id, "cancelled", datetime.now(UTC), None)
    return True


def _close(deps: RunsDeps, run_id: str, why: str) -> None:
    with session_scope(deps.engine) as session:
        close_open_run(session, run_id, "cancelled", datetime.now(UTC), {"message": why})


async def retry_run(
    deps: RunsDeps, tenant: str, run_id: str, idempotency_key: str | None
) -> Started:
    """A new run of the original's version and trigger, ``retry_of`` the original. One retry
    per idempotency key (without one, every call retries again)."""
    run = await in_thread(find_run, deps, tenant, run_id)
    if run.status in OPEN:
        raise Conflict(f"run {run_id!r} is still {run.status}; cancel it before retrying")
    workflow, version, stored = await in_thread(_what_ran, deps, run)
    if workflow is None or version is None:
        raise Conflict(f"the workflow version run {run_id!r} ran is gone")
    trigger = await _started_trigger(await deps.temporal(), run_id) or stored
    if trigger is None:
        raise Conflict(
            f"the trigger of run {run_id!r} is no longer known: Temporal no longer keeps the "
            "run and no stored event started it"
        )
    dedupe_key = f"retry\x1f{run_id}\x1f{idempotency_key or uuid.uuid4().hex}"
    return await start(deps, workflow, version, trigger, dedupe_key, retry_of=run_id)


def _what_ran(
    deps: RunsDeps, run: Run
) -> tuple[Workflow | None, WorkflowVersion | None, TriggerEvent | None]:
    """The run's workflow, its version, and its trigger as the stored event has it."""
    with session_scope(deps.engine) as session:
        workflow = session.get(Workflow, run.workflow_id)
        version = get_version(session, run.workflow_id, run.version)
        return workflow, version, _stored_trigger(session, run)


async def _started_trigger(client: Client, run_id: str) -> TriggerEvent | None:
    """The trigger the run's (latest) execution started with; None when Temporal forgot it."""
    try:
        async for event in client.get_workflow_handle(run_id).fetch_history_events():
            payloads = event.workflow_execution_started_event_attributes.input.payloads
            [input] = await client.data_converter.decode(payloads, [RunInput])
            return TriggerEvent.from_dict(input.trigger)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return None
        raise Unavailable(f"could not read run {run_id} from Temporal: {exc.message}") from exc
    return None


def _stored_trigger(session: Session, run: Run) -> TriggerEvent | None:
    """The run's trigger rebuilt from the stored event, for runs that an event started."""
    if run.event_id is None:
        return None
    event = session.exec(
        select(Event).where(Event.tenant_id == run.tenant_id, Event.event_id == run.event_id)
    ).first()
    if event is None:
        return None
    return TriggerEvent(
        type=event.type,
        id=event.event_id,
        occurred_at=event.occurred_at.isoformat(),
        entity=event.entity,
        data=event.data,
    )
