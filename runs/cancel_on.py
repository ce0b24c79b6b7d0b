"""``cancel_on``: an event of a listed type for an entity cancels the open runs of that entity
whose workflow lists it (the meeting engine skips the workflows of a cancelled appointment).

The runs are found by (tenant, entity) in the runs table — an entity has few open runs — and
each is checked against the ``cancel_on`` of the version it runs. Cancelling goes through
Temporal: the run sees the cancellation and ends ``cancelled``.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.service import RPCError, RPCStatusCode

from definitions.trigger_options import pattern_matches
from runs.deps import RunsDeps
from runs.errors import Unavailable
from storage.db import session_scope
from storage.enrollments import open_runs
from storage.models import Run
from workflows.trigger_event import TriggerEvent


async def cancel_open_runs(
    deps: RunsDeps, tenant_id: str, event: TriggerEvent
) -> list[dict[str, Any]]:
    """Cancel the runs ``event`` cancels; one outcome (``cancelled``) per workflow affected."""
    entity = event.entity
    if not entity:
        return []
    targets = await asyncio.to_thread(_targets, deps, tenant_id, entity, event)
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
    return [
        {
            "workflow_id": workflow_id,
            "outcome": "cancelled",
            "run_id": run_ids[0],
            "detail": f"cancelled {len(run_ids)} open run(s) of this entity: {', '.join(run_ids)}",
        }
        for workflow_id, run_ids in cancelled.items()
    ]


def _targets(deps: RunsDeps, tenant_id: str, entity: str, event: TriggerEvent) -> list[Run]:
    """The entity's open runs whose version's ``cancel_on`` lists the event's type."""
    with session_scope(deps.engine) as session:
        return [
            run
            for run, trigger in open_runs(session, tenant_id, entity)
            if any(pattern_matches(p, event.type) for p in trigger.get("cancel_on") or [])
            and run.event_id != event.id
        ]
