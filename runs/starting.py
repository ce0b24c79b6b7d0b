"""Starting one run, idempotently: its row and the intent to start it first, then its Temporal
execution.

A run's id is derived from (tenant, workflow, dedupe key), and its row is committed before its
Temporal execution starts, so a redelivered event — or a client retrying after a timeout —
starts nothing new. The row is committed with a ``start_run`` intent in the outbox
(``storage.outbox``): when Temporal cannot take the start, or the process dies before it does,
the run is ``pending`` and a worker's recoverer (``runs.recovery``) starts it within seconds —
or, past ``RunsDeps.start_deadline``, marks it failed with the reason. So an acknowledged event
always has its runs started, and no run row stays open without an execution.

A trigger's ``rate_limit`` is claimed in the transaction that writes the run's row
(``storage.rate_windows``); a deferred run is started at once with a Temporal start delay, so
it needs nothing more to begin at its window.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import Session
from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError

from definitions.trigger_options import RateLimit
from runs.deps import RunsDeps
from runs.errors import Unavailable
from runs.temporal_ui import run_details, run_summary
from storage.db import in_thread, session_scope
from storage.models import Run, Workflow, WorkflowVersion
from storage.outbox import add_intent, retry_soon, settle
from storage.rate_windows import admit, window_counts
from storage.runs import start_run
from storage.tenants import tenant_profile
from workflows.contract import RunInput
from workflows.search_attributes import run_attributes
from workflows.trigger_event import TriggerEvent, run_entity


@dataclass
class Started:
    """A run a request started — or found started: ``status`` is ``started``, ``deferred``
    (started, beginning at its rate window), ``duplicate`` (this event started it before),
    ``pending`` (stored; Temporal could not take it now, the recoverer starts it) or
    ``rate_limited`` (not started)."""

    id: str
    workflow_id: str
    version: int
    status: str = "started"


@dataclass
class Admission:
    """What a rate limit made of a new run: ``deferred_to`` a later window, or ``refused``."""

    deferred_to: datetime | None = None
    refused: bool = False
    detail: str = ""


def run_id_for(tenant_id: str, workflow_id: str, dedupe_key: str) -> str:
    digest = hashlib.sha256(f"{tenant_id}\x1f{workflow_id}\x1f{dedupe_key}".encode()).hexdigest()
    return f"run_{digest[:32]}"


START_RUN = "start_run"
"""The outbox kind of a run's start; its key is the run id."""
OWN_ATTEMPT = timedelta(seconds=3)
"""How long the recoverer leaves a new run's start to the request that wrote it (a request
that fails to start it hands it over at once)."""


def run_input(
    workflow: Workflow, version: WorkflowVersion, trigger: TriggerEvent, tenant: dict[str, Any]
) -> RunInput:
    """What the interpreter starts with: the pinned version, the triggering event and the
    tenant's profile (``storage.tenants.tenant_profile``)."""
    return RunInput(
        tenant_id=workflow.tenant_id,
        workflow_id=workflow.id,
        workflow_name=workflow.name,
        version=version.version,
        definition=version.definition,
        trigger=trigger.as_dict(),
        tenant=tenant,
    )


async def start(
    deps: RunsDeps,
    workflow: Workflow,
    version: WorkflowVersion,
    trigger: TriggerEvent,
    dedupe_key: str,
    retry_of: str | None = None,
) -> Started:
    """Start the run of ``workflow`` whose id derives from ``dedupe_key``, unless it exists
    (manual runs and retries; events go through ``runs.intake.accept_event``)."""
    started, _ = await start_admitted(deps, workflow, version, trigger, dedupe_key, retry_of)
    return started


async def start_admitted(
    deps: RunsDeps,
    workflow: Workflow,
    version: WorkflowVersion,
    trigger: TriggerEvent,
    dedupe_key: str,
    retry_of: str | None = None,
    *,
    event_key: str | None = None,
    limit: RateLimit | None = None,
) -> tuple[Started, Admission | None]:
    """``start``, admitting a new run through the trigger's rate ``limit`` first; ``event_key``
    is the event's own dedupe key when the run key carries more (re-enrollment)."""
    run_id = run_id_for(workflow.tenant_id, workflow.id, dedupe_key)
    entity = run_entity((version.definition.get("trigger") or {}).get("entity"), trigger.as_dict())
    row_trigger: dict[str, Any] = {
        "type": trigger.type,
        "event_id": trigger.id,
        "key": dedupe_key,
        "dedupe_key": event_key or dedupe_key,
    }
    if trigger.chain:
        row_trigger["chain"] = trigger.chain
    row = Run(
        id=run_id,
        tenant_id=workflow.tenant_id,
        workflow_id=workflow.id,
        version=version.version,
        entity=entity,
        event_id=trigger.id,
        trigger=row_trigger,
        started_at=datetime.now(UTC),
        retry_of=retry_of,
    )
    run, admission, settled = await in_thread(
        _write_row_and_intent, deps, row, workflow, version, replace(trigger, entity=entity), limit
    )
    found = Started(id=run_id, workflow_id=workflow.id, version=version.version)
    if admission is not None and admission.refused:
        found.status = "rate_limited"
    elif settled:
        # Temporal forgets closed runs after its retention period; the row is the lasting record
        # that this event already ran, so a late redelivery must not start it again.
        found.status = "duplicate"
    else:
        deferred_to = row.trigger.get("deferred_to") if row.trigger else None
        try:
            found.status = await execute_start(deps, run, run_id, entity, deferred_to)
        except Unavailable as exc:
            found.status = "pending"
            await in_thread(_hand_over, deps, run_id, exc.detail)  # the recoverer starts it
    return found, admission


def _write_row_and_intent(
    deps: RunsDeps,
    row: Run,
    workflow: Workflow,
    version: WorkflowVersion,
    trigger: TriggerEvent,
    limit: RateLimit | None,
) -> tuple[RunInput, Admission | None, bool]:
    """The run's input (with the tenant's profile as it is now), ``_write_row``, and in the
    same transaction the intent to start the run (the outbox)."""
    with session_scope(deps.engine) as session:
        run = run_input(workflow, version, trigger, tenant_profile(session, workflow.tenant_id))
        admission, settled = _write_row(session, row, workflow, limit)
        if not settled and not (admission is not None and admission.refused):
            intent = start_intent(run, row)
            due = datetime.now(UTC) + OWN_ATTEMPT
            add_intent(session, workflow.tenant_id, START_RUN, row.id, intent, due_at=due)
    return run, admission, settled


def _hand_over(deps: RunsDeps, run_id: str, reason: str) -> None:
    """Make the run's start intent due now: this request could not start it."""
    with session_scope(deps.engine) as session:
        retry_soon(session, START_RUN, run_id, reason, datetime.now(UTC))


def start_intent(run: RunInput, row: Run) -> dict[str, Any]:
    """What the recoverer needs to start the run: its input but the definition (read again
    from the pinned version), its entity and its start delay."""
    return {
        "tenant_id": run.tenant_id,
        "workflow_id": run.workflow_id,
        "workflow_name": run.workflow_name,
        "version": run.version,
        "trigger": run.trigger,
        "tenant": run.tenant,
        "entity": row.entity,
        "deferred_to": (row.trigger or {}).get("deferred_to"),
    }


async def execute_start(
    deps: RunsDeps, run: RunInput, run_id: str, entity: str | None, deferred_to: str | None
) -> str:
    """Start the run's execution and settle its intent: ``started``, or ``duplicate`` when
    Temporal has it already; ``Unavailable`` (the intent stays pending) when Temporal cannot."""
    status = await _execute(await deps.temporal(), deps, run, run_id, entity, deferred_to)
    await in_thread(_settle_start, deps, run_id)
    return status


def _settle_start(deps: RunsDeps, run_id: str) -> None:
    with session_scope(deps.engine) as session:
        settle(session, START_RUN, run_id)


def _write_row(
    session: Session, row: Run, workflow: Workflow, limit: RateLimit | None
) -> tuple[Admission | None, bool]:
    """Write ``row`` unless it exists or the rate limit refuses it. Returns the admission and
    whether an existing run must not be started by this request. ``row.trigger`` gains the
    run's ``deferred_to`` — also a redelivery's, which starts a deferred run (if its first
    start failed) as late as before."""
    assert row.trigger is not None
    admission: Admission | None = None
    if limit is not None and session.get(Run, row.id) is None:
        admission = _admit(session, workflow, limit, row.started_at)
        if admission.refused:
            return admission, False
        if admission.deferred_to is not None:
            row.trigger["deferred_to"] = admission.deferred_to.isoformat()
    if start_run(session, row):
        return admission, False
    stored = session.get(Run, row.id)
    if stored is not None and (stored.trigger or {}).get("deferred_to"):
        row.trigger["deferred_to"] = stored.trigger["deferred_to"]  # type: ignore[index]
    return admission, _settled(stored, row.event_id)


async def _execute(
    client: Client,
    deps: RunsDeps,
    run: RunInput,
    run_id: str,
    entity: str | None,
    deferred_to: str | None,
) -> str:
    """Start the run's execution; ``started``, or ``duplicate`` when Temporal has it already."""
    delay = None
    if deferred_to:
        delay = max(datetime.fromisoformat(deferred_to) - datetime.now(UTC), timedelta(0))
    attributes = run_attributes(
        run.tenant_id, run.workflow_id, run.version, entity, deps.entity_key
    )
    try:
        await client.start_workflow(
            "RelayRun",
            run,
            id=run_id,
            task_queue=deps.task_queue,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            search_attributes=attributes if deps.search_attributes else None,
            start_delay=delay or None,
            static_summary=run_summary(run.workflow_name, run.version, entity),
            static_details=run_details(deps.public_url, run_id),
        )
    except WorkflowAlreadyStartedError:
        return "duplicate"
    except RPCError as exc:
        raise Unavailable(f"could not start the run: {exc.message}") from exc
    # Whichever request wrote the row, the one whose start Temporal took started the run:
    # of concurrent deliveries exactly one says "started".
    return "started"


def _admit(session: Session, workflow: Workflow, limit: RateLimit, now: datetime) -> Admission:
    window = f"{limit.max} run(s) per {limit.per}"
    claimed = admit(session, workflow.tenant_id, workflow.id, limit, now)
    if claimed is None:
        started, dropped = window_counts(session, workflow.tenant_id, workflow.id, limit, now)
        return Admission(
            refused=True,
            detail=f"the workflow starts at most {window}: {started} started and {dropped} "
            f"event(s) dropped in the window from {limit.window_start(now).isoformat()}",
        )
    if claimed == now:
        return Admission()
    return Admission(
        deferred_to=claimed,
        detail=f"the workflow starts at most {window}; the run starts at {claimed.isoformat()}",
    )


def _settled(run: Run | None, event_id: str | None) -> bool:
    """Whether an existing run must not be started by this request: it has ended, or another
    event wrote it (a run key shared by events, as re-enrollment makes): that event's own
    request starts it, so the run always executes the event its row names."""
    if run is None:
        return False
    return run.status not in ("running", "waiting") or run.event_id != event_id
