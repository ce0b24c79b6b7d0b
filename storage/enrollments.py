"""The runs a workflow has for an entity: re-enrollment reads the latest, cancel_on the open ones;
and what a redelivery finds of the run it names.

Lookups by (tenant, workflow, entity) or (tenant, entity) on indexed columns of ``runs``, or by
the run's id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from storage.models import Run, WorkflowVersion

OPEN_STATUSES = ("running", "waiting")


@dataclass(frozen=True)
class StoredRun:
    """What deciding about an existing run reads of its row (``stored_run``)."""

    id: str
    status: str
    event_id: str | None
    trigger: dict[str, Any] | None


def stored_run(session: Session, run_id: str) -> StoredRun | None:
    """The run's row as ``StoredRun``: columns, not an ORM object (cheaper on every event)."""
    row = session.exec(
        select(Run.status, Run.event_id, Run.trigger).where(Run.id == run_id)
    ).first()
    return None if row is None else StoredRun(run_id, *row)


def latest_run(session: Session, tenant_id: str, workflow_id: str, entity: str) -> Run | None:
    """The workflow's most recently started run for ``entity``."""
    return session.exec(
        select(Run)
        .where(Run.tenant_id == tenant_id, Run.workflow_id == workflow_id, Run.entity == entity)
        .order_by(col(Run.started_at).desc())
        .limit(1)
    ).first()


def open_runs(session: Session, tenant_id: str, entity: str) -> list[tuple[Run, dict[str, Any]]]:
    """The entity's running and waiting runs, each with the trigger of the version it runs."""
    rows = session.exec(
        select(Run, WorkflowVersion.definition)
        .join(
            WorkflowVersion,
            (WorkflowVersion.workflow_id == Run.workflow_id)  # type: ignore[arg-type]
            & (WorkflowVersion.version == Run.version),
        )
        .where(
            Run.tenant_id == tenant_id,
            Run.entity == entity,
            col(Run.status).in_(OPEN_STATUSES),
        )
    )
    return [(run, (definition or {}).get("trigger") or {}) for run, definition in rows]
