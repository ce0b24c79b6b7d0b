"""The runs a workflow has for an entity: re-enrollment reads the latest, cancel_on the open ones.

Both are lookups by (tenant, workflow, entity) or (tenant, entity) on indexed columns of ``runs``.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from storage.models import Run, WorkflowVersion

OPEN_STATUSES = ("running", "waiting")


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
