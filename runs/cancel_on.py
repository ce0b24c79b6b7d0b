"""``cancel_on``: an event of a listed type for an entity cancels the open runs of that entity
whose workflow lists it (the meeting engine skips the workflows of a cancelled appointment).

The runs are found by (tenant, entity) in the runs table — an entity has few open runs — and
each is checked against the ``cancel_on`` of the version it runs. Cancelling goes through
Temporal: the run sees the cancellation and ends ``cancelled``; one that cannot end itself is
terminated after its grace, as ``POST /v1/runs/{id}/cancel`` does (``runs.control``).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from temporalio.service import RPCError, RPCStatusCode

from definitions.trigger_options import pattern_matches
from runs.control import intend_termination
from runs.deps import RunsDeps
from runs.errors import Unavailable
from storage.db import in_thread
from storage.enrollments import open_runs
from storage.models import Run
from workflows.trigger_event import TriggerEvent


async def cancel_runs(deps: RunsDeps, tenant_id: str, targets: list[Run]) -> list[dict[str, Any]]:
    """Cancel ``targets`` (``cancelled_by``); one outcome (``cancelled``) per workflow affected."""
    if not targets:
        return []
    client = await deps.temporal()
    cancelled: dict[str, list[str]] = {}
    for run in targets:
        try:
            await client.get_workflow_handle(run.id).cancel()
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:  # NOT_FOUND: it ended meanwhile
                raise Unavailable(f"could not cancel run {run.id}: {exc.message}") from exc
            continue
        cancelled.setdefault(run.workflow_id, []).append(run.id)
    if cancelled:
        ended = [run_id for run_ids in cancelled.values() for run_id in run_ids]
        await in_thread(intend_termination, deps, tenant_id, *ended)
    return [
        {
            "workflow_id": workflow_id,
            "outcome": "cancelled",
            "run_id": run_ids[0],
            "detail": f"cancelled {len(run_ids)} open run(s) of this entity: {', '.join(run_ids)}",
        }
        for workflow_id, run_ids in cancelled.items()
    ]


def cancelled_by(session: Session, tenant_id: str, event: TriggerEvent) -> list[Run]:
    """The open runs of the event's entity whose version lists the event's type in
    ``cancel_on`` (but the runs the event itself started)."""
    if not event.entity:
        return []
    return [
        run
        for run, trigger in open_runs(session, tenant_id, event.entity)
        if any(pattern_matches(p, event.type) for p in trigger.get("cancel_on") or [])
        and run.event_id != event.id
    ]
