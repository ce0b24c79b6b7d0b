"""Workflows and their immutable versions."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, col, select

from definitions.trigger_options import event_patterns
from storage.models import Workflow, WorkflowVersion


def create_workflow(
    session: Session,
    tenant_id: str,
    canonical: dict[str, Any],
    source: dict[str, Any],
    message: str | None = None,
) -> Workflow:
    workflow = Workflow(id=f"wf_{uuid.uuid4().hex[:20]}", tenant_id=tenant_id, name="")
    _apply(workflow, canonical)
    session.add(workflow)
    session.flush()
    session.add(_version(workflow, 1, canonical, source, message))
    return workflow


def add_version(
    session: Session,
    workflow: Workflow,
    canonical: dict[str, Any],
    source: dict[str, Any],
    message: str | None = None,
) -> WorkflowVersion:
    """A new version. An active workflow starts new runs on it at once; runs in flight keep
    the version they started on."""
    workflow.latest_version += 1
    _apply(workflow, canonical)
    if workflow.status == "active":
        workflow.active_version = workflow.latest_version
    version = _version(workflow, workflow.latest_version, canonical, source, message)
    session.add(workflow)
    session.add(version)
    return version


def set_status(session: Session, workflow: Workflow, status: str) -> None:
    workflow.status = status
    if status == "active":
        workflow.active_version = workflow.latest_version
    workflow.updated_at = datetime.now(UTC)
    session.add(workflow)


def get_workflow(session: Session, tenant_id: str, workflow_id: str) -> Workflow | None:
    workflow = session.get(Workflow, workflow_id)
    return workflow if workflow is not None and workflow.tenant_id == tenant_id else None


def get_version(session: Session, workflow_id: str, version: int) -> WorkflowVersion | None:
    return session.exec(
        select(WorkflowVersion).where(
            WorkflowVersion.workflow_id == workflow_id, WorkflowVersion.version == version
        )
    ).first()


def submitted_document(version: WorkflowVersion) -> dict[str, Any]:
    """The document as its author submitted it (the canonical one for versions stored without)."""
    return version.source if version.source is not None else version.definition


def list_versions(session: Session, workflow_id: str) -> list[WorkflowVersion]:
    return list(
        session.exec(
            select(WorkflowVersion)
            .where(WorkflowVersion.workflow_id == workflow_id)
            .order_by(col(WorkflowVersion.version).desc())
        )
    )


def active_listeners(
    session: Session, tenant_id: str, event_type: str
) -> list[tuple[Workflow, WorkflowVersion]]:
    """Active workflows whose trigger listens to ``event_type`` — exactly or through a glob
    (``deal.*``, ``*.created``, ``*``) — with the version to run.

    One indexed lookup by (tenant, status, trigger event) for the type and the few globs that
    can cover it (``definitions.trigger_options.event_patterns``): the cost does not grow with
    the number of workflows listening to other types.
    """
    rows = session.exec(
        select(Workflow, WorkflowVersion)
        .join(
            WorkflowVersion,
            (WorkflowVersion.workflow_id == Workflow.id)  # type: ignore[arg-type]
            & (WorkflowVersion.version == Workflow.active_version),
        )
        .where(
            Workflow.tenant_id == tenant_id,
            Workflow.status == "active",
            col(Workflow.trigger_event).in_(event_patterns(event_type)),
        )
    )
    return [(workflow, version) for workflow, version in rows]


def _apply(workflow: Workflow, canonical: dict[str, Any]) -> None:
    trigger = canonical.get("trigger") or {}
    workflow.name = canonical["name"]
    workflow.description = canonical.get("description") or ""
    workflow.trigger_type = trigger.get("type", "manual")
    workflow.trigger_event = trigger.get("event")
    workflow.updated_at = datetime.now(UTC)


def _version(
    workflow: Workflow,
    number: int,
    canonical: dict[str, Any],
    source: dict[str, Any],
    message: str | None,
) -> WorkflowVersion:
    return WorkflowVersion(
        tenant_id=workflow.tenant_id,
        workflow_id=workflow.id,
        version=number,
        definition=canonical,
        source=source,
        message=message or None,
    )


def template_usage(session: Session, tenant_id: str, setting: str) -> dict[str, int]:
    """Template id → how many of the tenant's workflows were created from it.

    A workflow's first version is immutable, so its ``settings.<setting>`` says where the
    workflow came from whatever later edits do.
    """
    origin = col(WorkflowVersion.definition)["settings"][setting].as_string()
    # Counted here rather than with GROUP BY: PostgreSQL does not match a grouped JSON
    # expression whose key is a bound parameter, and the rows are short strings.
    origins = session.exec(
        select(origin).where(
            WorkflowVersion.tenant_id == tenant_id,
            WorkflowVersion.version == 1,
            origin.is_not(None),
        )
    )
    return dict(Counter(o for o in origins if o))
