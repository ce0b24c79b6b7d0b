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
from storage.enrollments import StoredRun, stored_run
from storage.models import Run, Workflow, WorkflowVersion
from storage.outbox import add_intent, retry_soon, settle
from storage.rate_windows import admit, window_counts
from storage.runs import start_run
from storage.tenants import tenant_profile
from workflows.contract import RunInput
from workflows.policies import PATCHES, WORKFLOW_TASK_TIMEOUT
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
        patches=list(PATCHES),
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
    (manual runs and retries; events go through ``runs.intake.accept_event``, which writes the
    rows of an event's runs together)."""
    row, trigger = new_row(workflow, version, trigger, dedupe_key, retry_of)
    written = await in_thread(_write_one, deps, row, workflow, version, trigger)
    launched = await launch(deps, written)
    if launched.concludes:
        await in_thread(_conclude, deps, launched)
    return launched.started


@dataclass
class Written:
    """A run's row and start intent as a request wrote them (or found the row), committed before
    its execution starts (``launch``)."""

    row: Run
    run: RunInput
    admission: Admission | None
    settled: bool
    """An existing run this request must not start (``_settled``)."""
    stored: StoredRun | None
    """The row found in place of ``row`` (a redelivery), as the request found it."""

    @property
    def to_start(self) -> bool:
        return not self.settled and not (self.admission is not None and self.admission.refused)


@dataclass
class Launched:
    """What ``launch`` made of a written run: the run's status, and what the outbox must learn
    of it (``conclude``) once it has started or Temporal could not take it."""

    written: Written
    started: Started
    taken: bool = False
    """Temporal has the execution (started now, or before): its intent is done."""
    handed_over: str | None = None
    """Why Temporal could not take the start: the recoverer starts it now."""

    @property
    def concludes(self) -> bool:
        return self.taken or self.handed_over is not None


def new_row(
    workflow: Workflow,
    version: WorkflowVersion,
    trigger: TriggerEvent,
    dedupe_key: str,
    retry_of: str | None = None,
    event_key: str | None = None,
) -> tuple[Run, TriggerEvent]:
    """The row of the run ``dedupe_key`` names, and ``trigger`` with the run's entity."""
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
        id=run_id_for(workflow.tenant_id, workflow.id, dedupe_key),
        tenant_id=workflow.tenant_id,
        workflow_id=workflow.id,
        version=version.version,
        entity=entity,
        event_id=trigger.id,
        trigger=row_trigger,
        started_at=datetime.now(UTC),
        retry_of=retry_of,
    )
    return row, replace(trigger, entity=entity)


def _write_one(
    deps: RunsDeps, row: Run, workflow: Workflow, version: WorkflowVersion, trigger: TriggerEvent
) -> Written:
    with session_scope(deps.engine) as session:
        tenant = tenant_profile(session, workflow.tenant_id)
        return write_start(session, row, workflow, version, trigger, None, tenant)


def write_start(
    session: Session,
    row: Run,
    workflow: Workflow,
    version: WorkflowVersion,
    trigger: TriggerEvent,
    limit: RateLimit | None,
    tenant: dict[str, Any],
) -> Written:
    """In the caller's transaction: the run's input (with the tenant's ``tenant_profile`` as
    it is now), ``_write_row``, and the intent to start the run (the outbox). The run's
    execution starts (``launch``) only once the transaction has committed."""
    run = run_input(workflow, version, trigger, tenant)
    admission, stored = _write_row(session, row, workflow, limit)
    written = Written(row, run, admission, _settled(stored, row.event_id), stored)
    if written.to_start:
        intent = start_intent(run, row)
        due = datetime.now(UTC) + OWN_ATTEMPT
        add_intent(session, workflow.tenant_id, START_RUN, row.id, intent, due_at=due)
    return written


async def launch(deps: RunsDeps, written: Written) -> Launched:
    """Start a written run's execution (no database work: the caller ``conclude``s)."""
    row = written.row
    found = Started(id=row.id, workflow_id=row.workflow_id, version=row.version)
    if not written.to_start:
        # Temporal forgets closed runs after its retention period; the row is the lasting record
        # that this event already ran, so a late redelivery must not start it again.
        found.status = "duplicate" if written.settled else "rate_limited"
        return Launched(written, found)
    deferred_to = (row.trigger or {}).get("deferred_to")
    try:
        client = await deps.temporal()
        found.status = await _execute(client, deps, written.run, row.id, row.entity, deferred_to)
    except Unavailable as exc:
        found.status = "pending"
        return Launched(written, found, handed_over=exc.detail)  # the recoverer starts it
    return Launched(written, found, taken=True)


def conclude(session: Session, launched: list[Launched]) -> None:
    """Settle the start intents Temporal took, and make due now those it could not take."""
    now = datetime.now(UTC)
    for each in launched:
        if each.taken:
            settle(session, START_RUN, each.started.id)
        elif each.handed_over is not None:
            retry_soon(session, START_RUN, each.started.id, each.handed_over, now)


def _conclude(deps: RunsDeps, launched: Launched) -> None:
    with session_scope(deps.engine) as session:
        conclude(session, [launched])


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
) -> tuple[Admission | None, StoredRun | None]:
    """Write ``row`` unless it exists or the rate limit refuses it. Returns the admission and
    the existing row found instead (None: written, or refused). ``row.trigger`` gains the
    run's ``deferred_to`` — also a redelivery's, which starts a deferred run (if its first
    start failed) as late as before."""
    assert row.trigger is not None
    admission: Admission | None = None
    if limit is not None and stored_run(session, row.id) is None:
        admission = _admit(session, workflow, limit, row.started_at)
        if admission.refused:
            return admission, None
        if admission.deferred_to is not None:
            row.trigger["deferred_to"] = admission.deferred_to.isoformat()
    if start_run(session, row):
        return admission, None
    stored = stored_run(session, row.id)
    if stored is not None and (stored.trigger or {}).get("deferred_to"):
        row.trigger["deferred_to"] = stored.trigger["deferred_to"]  # type: ignore[index]
    return admission, stored


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
            task_timeout=WORKFLOW_TASK_TIMEOUT,
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


def _settled(run: StoredRun | None, event_id: str | None) -> bool:
    """Whether an existing run must not be started by this request: it has ended, or another
    event wrote it (a run key shared by events, as re-enrollment makes): that event's own
    request starts it, so the run always executes the event its row names."""
    if run is None:
        return False
    return run.status not in ("running", "waiting") or run.event_id != event_id
