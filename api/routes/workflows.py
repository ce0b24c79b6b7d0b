"""Workflow definitions: CRUD, lifecycle, versions (show, diff, rollback), copies, manual runs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, status
from sqlmodel import Session, select

from api.auth import AuditNote
from api.deps import ApiDeps, CurrentTenant, Deps, SessionDep
from api.errors import ApiError, Conflict, NotFound
from api.pagination import newest_first
from api.schemas import Page
from api.schemas.runs import RunStarted
from api.schemas.workflows import (
    MAX_VERSION,
    DiffOut,
    DuplicateIn,
    ExecuteIn,
    RollbackIn,
    VersionOut,
    WorkflowOut,
)
from api.storable import Text, VersionMessage, check_document
from definitions.diff import diff_definitions
from definitions.loading import load_definition
from definitions.models import Definition
from runs.intake import execute
from runs.schedules import follow_lifecycle, owns_schedule
from storage.db import in_thread, session_in_thread, session_scope
from storage.models import Workflow, WorkflowVersion
from storage.workflows import (
    add_version,
    create_workflow,
    get_version,
    get_workflow,
    list_versions,
    set_status,
    submitted_document,
)

router = APIRouter(prefix="/v1/workflows", tags=["workflows"])

Document = Annotated[dict[str, Any], Body(description="a definition document (SPEC §2)")]
WorkflowStatus = Literal["draft", "active", "paused", "archived"]
_NAME_LIMIT = 200  # the longest name a definition may have
VersionNumber = Annotated[int, Path(ge=1, le=MAX_VERSION)]
Message = Annotated[
    VersionMessage | None,
    Query(description="what this version changes, shown in the version list"),
]


def workflow_out(session: Session, workflow: Workflow) -> WorkflowOut:
    version = find_version(session, workflow, workflow.latest_version)
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


def load_document(document: dict[str, Any]) -> Definition:
    """Check, normalise and validate a submitted document; 422 problems otherwise."""
    check_document(document)
    return load_definition(document)


def find_workflow(session: Session, tenant: str, workflow_id: str) -> Workflow:
    workflow = get_workflow(session, tenant, workflow_id)
    if workflow is None:
        raise NotFound("workflow", workflow_id)
    return workflow


@router.post("", status_code=status.HTTP_201_CREATED)
def create(
    document: Document,
    tenant: CurrentTenant,
    session: SessionDep,
    audit: AuditNote,
    message: Message = None,
) -> WorkflowOut:
    definition = load_document(document)
    workflow = create_workflow(session, tenant, definition.canonical(), document, message)
    session.flush()
    audit.note(workflow.id, name=workflow.name, version=workflow.latest_version)
    return workflow_out(session, workflow)


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
    return Page(items=[workflow_out(session, w) for w in rows], next_cursor=next_cursor)


@router.get("/{workflow_id}")
def read(workflow_id: str, tenant: CurrentTenant, session: SessionDep) -> WorkflowOut:
    return workflow_out(session, find_workflow(session, tenant, workflow_id))


@router.put("/{workflow_id}")
async def replace(
    workflow_id: str,
    document: Document,
    tenant: CurrentTenant,
    deps: Deps,
    audit: AuditNote,
    message: Message = None,
) -> WorkflowOut:
    out = await _new_version(
        deps, tenant, workflow_id, lambda _session, _workflow: document, message
    )
    audit.note(version=out.version)
    return out


@router.patch("/{workflow_id}")
async def patch(
    workflow_id: str,
    changes: Document,
    tenant: CurrentTenant,
    deps: Deps,
    audit: AuditNote,
    message: Message = None,
) -> WorkflowOut:
    """A JSON merge patch (RFC 7396) over the latest submitted document; a new version."""

    def patched(session: Session, workflow: Workflow) -> dict[str, Any]:
        latest = find_version(session, workflow, workflow.latest_version)
        document: dict[str, Any] = merge_patch(latest.source or latest.definition, changes)
        return document

    out = await _new_version(deps, tenant, workflow_id, patched, message)
    audit.note(version=out.version)
    return out


@router.delete("/{workflow_id}", status_code=status.HTTP_200_OK)
async def delete(workflow_id: str, tenant: CurrentTenant, deps: Deps) -> WorkflowOut:
    """Archives: the workflow stops starting runs; its runs and history are kept."""
    return await change_status(deps, tenant, workflow_id, "archived")


@router.post("/{workflow_id}/activate")
async def activate(workflow_id: str, tenant: CurrentTenant, deps: Deps) -> WorkflowOut:
    return await change_status(deps, tenant, workflow_id, "active")


@router.post("/{workflow_id}/pause")
async def pause(workflow_id: str, tenant: CurrentTenant, deps: Deps) -> WorkflowOut:
    return await change_status(deps, tenant, workflow_id, "paused")


@router.post("/{workflow_id}/archive")
async def archive(workflow_id: str, tenant: CurrentTenant, deps: Deps) -> WorkflowOut:
    return await change_status(deps, tenant, workflow_id, "archived")


async def change_status(
    deps: ApiDeps, tenant: str, workflow_id: str, new_status: WorkflowStatus
) -> WorkflowOut:
    """Lifecycle: the status, then the workflow's schedule (``runs.schedules``) before the
    commit, so a Temporal that cannot follow (503) leaves the workflow as it was."""
    async with session_in_thread(deps.engine) as session:
        workflow, latest, was_scheduled = await in_thread(
            _set_status, session, tenant, workflow_id, new_status
        )
        await follow_lifecycle(deps, workflow, latest, was_scheduled=was_scheduled)
        return await in_thread(workflow_out, session, workflow)


def _set_status(
    session: Session, tenant: str, workflow_id: str, new_status: WorkflowStatus
) -> tuple[Workflow, WorkflowVersion, bool]:
    """The new status, uncommitted: the workflow, its latest version, and whether it owned a
    schedule before."""
    workflow = find_workflow(session, tenant, workflow_id)
    if new_status != "archived":
        _refuse_archived(workflow)
    latest = find_version(session, workflow, workflow.latest_version)
    if new_status == "active":
        load_definition(latest.source or latest.definition)  # activation validates first
    was_scheduled = owns_schedule(session, workflow)
    set_status(session, workflow, new_status)
    return workflow, latest, was_scheduled


async def _new_version(
    deps: ApiDeps,
    tenant: str,
    workflow_id: str,
    document_of: Callable[[Session, Workflow], dict[str, Any]],
    message: str | None = None,
) -> WorkflowOut:
    """A new version with the document ``document_of`` gives for the workflow (and the
    author's ``message``); an active workflow's schedule follows it before the commit."""
    async with session_in_thread(deps.engine) as session:
        workflow, version, was_scheduled = await in_thread(
            _add_version, session, tenant, workflow_id, document_of, message
        )
        await follow_lifecycle(deps, workflow, version, was_scheduled=was_scheduled)
        return await in_thread(workflow_out, session, workflow)


def _add_version(
    session: Session,
    tenant: str,
    workflow_id: str,
    document_of: Callable[[Session, Workflow], dict[str, Any]],
    message: str | None,
) -> tuple[Workflow, WorkflowVersion, bool]:
    """The new version, uncommitted: the workflow, the version, and whether the workflow
    owned a schedule before."""
    workflow = find_workflow(session, tenant, workflow_id)
    _refuse_archived(workflow)
    document = document_of(session, workflow)
    definition = load_document(document)
    was_scheduled = owns_schedule(session, workflow)
    version = add_version(session, workflow, definition.canonical(), document, message)
    session.flush()
    return workflow, version, was_scheduled


@router.get("/{workflow_id}/versions")
def versions(workflow_id: str, tenant: CurrentTenant, session: SessionDep) -> list[VersionOut]:
    """Every version, newest first. Versions are immutable; runs keep the one they started on."""
    workflow = find_workflow(session, tenant, workflow_id)
    return [_version_out(v) for v in list_versions(session, workflow.id)]


@router.get("/{workflow_id}/versions/{number}")
def version(
    workflow_id: str, number: VersionNumber, tenant: CurrentTenant, session: SessionDep
) -> VersionOut:
    workflow = find_workflow(session, tenant, workflow_id)
    return _version_out(find_version(session, workflow, number))


@router.get("/{workflow_id}/diff", response_model=DiffOut)
def diff(
    workflow_id: str,
    tenant: CurrentTenant,
    session: SessionDep,
    from_: Annotated[int | None, Query(alias="from", ge=1, le=MAX_VERSION)] = None,
    to: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
) -> dict[str, Any]:
    """What changed between two versions' canonical graphs; by default the latest two."""
    workflow = find_workflow(session, tenant, workflow_id)
    after = to or workflow.latest_version
    before = from_ or max(1, after - 1)
    old, new = find_version(session, workflow, before), find_version(session, workflow, after)
    return {"from": before, "to": after, **diff_definitions(old.definition, new.definition)}


@router.post("/{workflow_id}/rollback")
async def rollback(
    workflow_id: str, body: RollbackIn, tenant: CurrentTenant, deps: Deps, audit: AuditNote
) -> WorkflowOut:
    """A new version whose document is an earlier version's. An active workflow starts new runs
    on it at once; runs in flight finish on the version they started on."""

    def earlier(session: Session, workflow: Workflow) -> dict[str, Any]:
        return submitted_document(find_version(session, workflow, body.version))

    message = body.message or f"Rollback to version {body.version}"
    out = await _new_version(deps, tenant, workflow_id, earlier, message)
    audit.note(version=out.version)
    return out


@router.post("/{workflow_id}/duplicate", status_code=status.HTTP_201_CREATED)
def duplicate(
    workflow_id: str,
    tenant: CurrentTenant,
    session: SessionDep,
    audit: AuditNote,
    body: Annotated[DuplicateIn | None, Body()] = None,
) -> WorkflowOut:
    """A new draft with the latest document, named ``body.name`` or "<name> (copy)"."""
    workflow = find_workflow(session, tenant, workflow_id)
    latest = find_version(session, workflow, workflow.latest_version)
    name = body.name if body and body.name else _copy_name(workflow.name)
    document = {**submitted_document(latest), "name": name}
    definition = load_document(document)
    copy = create_workflow(session, tenant, definition.canonical(), document)
    session.flush()
    audit.note(copy.id, duplicate_of=workflow.id)
    return workflow_out(session, copy)


@router.post("/{workflow_id}/execute", status_code=status.HTTP_202_ACCEPTED)
async def execute_workflow(
    workflow_id: str, body: ExecuteIn, tenant: CurrentTenant, deps: Deps, audit: AuditNote
) -> RunStarted:
    """A manual run of the active version (or the latest one of a draft, for trying it out)."""
    workflow, version = await in_thread(version_to_run, deps, tenant, workflow_id)
    if body.input_data is not None and body.input:
        error = {"path": "input_data", "message": "input_data is another name for input: give one"}
        raise ApiError(422, "Invalid request", "the request body is invalid", errors=[error])
    given = body.input if body.input_data is None else body.input_data
    started = await execute(deps, workflow, version, given, body.entity, body.idempotency_key)
    audit.note(run_id=started.id)
    return RunStarted.model_validate(started)


def version_to_run(
    deps: ApiDeps, tenant: str, workflow_id: str, number: int | None = None
) -> tuple[Workflow, WorkflowVersion]:
    """The workflow and its version ``number`` — by default the active one, else the latest."""
    with session_scope(deps.engine) as session:
        workflow = find_workflow(session, tenant, workflow_id)
        number = number or workflow.active_version or workflow.latest_version
        return workflow, find_version(session, workflow, number)


def find_version(session: Session, workflow: Workflow, number: int) -> WorkflowVersion:
    version = get_version(session, workflow.id, number)
    if version is None:
        raise ApiError(404, "Not found", f"workflow {workflow.id!r} has no version {number}")
    return version


def _version_out(version: WorkflowVersion) -> VersionOut:
    return VersionOut(
        version=version.version,
        created_at=version.created_at,
        message=version.message,
        definition=version.definition,
        source=version.source,
    )


def _copy_name(name: str) -> str:
    suffix = " (copy)"
    return name[: _NAME_LIMIT - len(suffix)] + suffix


def _refuse_archived(workflow: Workflow) -> None:
    if workflow.status == "archived":
        raise Conflict(f"workflow {workflow.id!r} is archived")


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: ``patch`` over ``target``; a null removes a key."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result
