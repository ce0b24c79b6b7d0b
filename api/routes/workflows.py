"""Workflow definitions: CRUD, lifecycle, versions, manual execution."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query, status
from sqlmodel import Session, select

from api.deps import CurrentTenant, Deps, SessionDep
from api.errors import Conflict, NotFound
from api.inputs import Text, check_document
from api.pagination import newest_first
from api.schemas import ExecuteIn, Page, RunStarted, VersionOut, WorkflowOut
from api.starter import execute
from definitions.models import Definition
from definitions.validation import load_definition
from storage.db import session_scope
from storage.models import Workflow
from storage.workflows import (
    add_version,
    create_workflow,
    get_version,
    get_workflow,
    list_versions,
    set_status,
)

router = APIRouter(prefix="/v1/workflows", tags=["workflows"])

Document = Annotated[dict[str, Any], Body(description="a definition document (SPEC §2)")]
WorkflowStatus = Literal["draft", "active", "paused", "archived"]


def _out(session: Session, workflow: Workflow) -> WorkflowOut:
    version = get_version(session, workflow.id, workflow.latest_version)
    assert version is not None  # every workflow has its first version from creation on
    return WorkflowOut(
        id=workflow.id,
        name=workflow.name,
        description=workflow.description,
        status=workflow.status,
        trigger_type=workflow.trigger_type,
        version=workflow.latest_version,
        active_version=workflow.active_version,
        definition=version.definition,
        created_at=workflow.created_at,
        updated_at=workflow.updated_at,
    )


def _load(document: dict[str, Any]) -> Definition:
    check_document(document)
    return load_definition(document)


def _find(session: Session, tenant: str, workflow_id: str) -> Workflow:
    workflow = get_workflow(session, tenant, workflow_id)
    if workflow is None:
        raise NotFound("workflow", workflow_id)
    return workflow


@router.post("", status_code=status.HTTP_201_CREATED)
def create(document: Document, tenant: CurrentTenant, session: SessionDep) -> WorkflowOut:
    definition = _load(document)
    workflow = create_workflow(session, tenant, definition.canonical(), document)
    session.flush()
    return _out(session, workflow)


@router.get("")
def list_workflows(
    tenant: CurrentTenant,
    session: SessionDep,
    status: WorkflowStatus | None = None,
    trigger_type: Text | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Page[WorkflowOut]:
    query = select(Workflow).where(Workflow.tenant_id == tenant)
    if status:
        query = query.where(Workflow.status == status)
    if trigger_type:
        query = query.where(Workflow.trigger_type == trigger_type)
    rows, next_cursor = newest_first(
        session, query, (Workflow.created_at, Workflow.id), str, limit, cursor
    )
    return Page(items=[_out(session, w) for w in rows], next_cursor=next_cursor)


@router.get("/{workflow_id}")
def read(workflow_id: str, tenant: CurrentTenant, session: SessionDep) -> WorkflowOut:
    return _out(session, _find(session, tenant, workflow_id))


@router.put("/{workflow_id}")
def replace(
    workflow_id: str, document: Document, tenant: CurrentTenant, session: SessionDep
) -> WorkflowOut:
    workflow = _find(session, tenant, workflow_id)
    _refuse_archived(workflow)
    definition = _load(document)
    add_version(session, workflow, definition.canonical(), document)
    session.flush()
    return _out(session, workflow)


@router.patch("/{workflow_id}")
def patch(
    workflow_id: str, changes: Document, tenant: CurrentTenant, session: SessionDep
) -> WorkflowOut:
    """A JSON merge patch (RFC 7396) over the latest submitted document; a new version."""
    workflow = _find(session, tenant, workflow_id)
    _refuse_archived(workflow)
    latest = get_version(session, workflow.id, workflow.latest_version)
    assert latest is not None
    document = _merge_patch(latest.source or latest.definition, changes)
    definition = _load(document)
    add_version(session, workflow, definition.canonical(), document)
    session.flush()
    return _out(session, workflow)


@router.delete("/{workflow_id}", status_code=status.HTTP_200_OK)
def delete(workflow_id: str, tenant: CurrentTenant, session: SessionDep) -> WorkflowOut:
    """Archives: the workflow stops starting runs; its runs and history are kept."""
    workflow = _find(session, tenant, workflow_id)
    set_status(session, workflow, "archived")
    return _out(session, workflow)


@router.post("/{workflow_id}/activate")
def activate(workflow_id: str, tenant: CurrentTenant, session: SessionDep) -> WorkflowOut:
    workflow = _find(session, tenant, workflow_id)
    _refuse_archived(workflow)
    latest = get_version(session, workflow.id, workflow.latest_version)
    assert latest is not None
    load_definition(latest.source or latest.definition)  # activation validates first
    set_status(session, workflow, "active")
    return _out(session, workflow)


@router.post("/{workflow_id}/pause")
def pause(workflow_id: str, tenant: CurrentTenant, session: SessionDep) -> WorkflowOut:
    workflow = _find(session, tenant, workflow_id)
    _refuse_archived(workflow)
    set_status(session, workflow, "paused")
    return _out(session, workflow)


@router.post("/{workflow_id}/archive")
def archive(workflow_id: str, tenant: CurrentTenant, session: SessionDep) -> WorkflowOut:
    workflow = _find(session, tenant, workflow_id)
    set_status(session, workflow, "archived")
    return _out(session, workflow)


@router.get("/{workflow_id}/versions")
def versions(workflow_id: str, tenant: CurrentTenant, session: SessionDep) -> list[VersionOut]:
    workflow = _find(session, tenant, workflow_id)
    return [
        VersionOut(version=v.version, created_at=v.created_at, definition=v.definition)
        for v in list_versions(session, workflow.id)
    ]


@router.post("/{workflow_id}/execute", status_code=status.HTTP_202_ACCEPTED)
async def execute_workflow(
    workflow_id: str, body: ExecuteIn, tenant: CurrentTenant, deps: Deps
) -> RunStarted:
    """A manual run of the active version (or the latest one of a draft, for trying it out)."""
    with session_scope(deps.engine) as session:
        workflow = _find(session, tenant, workflow_id)
        if workflow.status in ("archived", "paused"):
            raise Conflict(f"workflow {workflow_id!r} is {workflow.status}")
        version = get_version(
            session, workflow.id, workflow.active_version or workflow.latest_version
        )
        assert version is not None
    return await execute(deps, workflow, version, body.input, body.entity, body.idempotency_key)


def _refuse_archived(workflow: Workflow) -> None:
    if workflow.status == "archived":
        raise Conflict(f"workflow {workflow.id!r} is archived")


def _merge_patch(target: Any, patch: Any) -> Any:
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge_patch(result.get(key), value)
    return result
