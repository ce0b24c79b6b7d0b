"""The record store: ``/v1/records/{type}`` for any record type, with tags and list memberships.

Every change emits its event (``<type>.created|updated|deleted``, ``.tag_added``…, about the
entity ``<type>:<id>``) through the same path as ``POST /v1/events``, once the change is
committed: workflows listening to it start, runs waiting on the record are signalled.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api.auth import AuditNote
from api.deps import CurrentTenant, Deps, SessionDep
from api.errors import ApiError, Conflict, NotFound
from api.routes.events import accept
from api.schemas import Page
from api.schemas.events import EventIn
from api.storable import JsonObject, Key, storable_text
from definitions.errors import DefinitionError, Problem
from definitions.record_filters import parse_filter, parse_sort
from runs import errors as runs_errors
from runs.recovery import event_emitted, intend_event
from storage.db import in_thread, session_scope
from storage.models import Record, RecordChange
from storage.record_query import InvalidCursor
from storage.records import (
    Changed,
    RecordExists,
    RecordNotFound,
    change_event,
    changes_of,
    create_record,
    delete_record,
    get_record,
    query_records,
    set_membership,
    update_record,
)

router = APIRouter(prefix="/v1/records", tags=["records"])

TYPE_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"
RecordType = Annotated[str, Path(pattern=TYPE_PATTERN, examples=["contact"])]
RecordId = Annotated[str, Path(min_length=1, max_length=128, examples=["c_1"])]
Name = Annotated[
    str, Path(min_length=1, max_length=100, examples=["vip"]), AfterValidator(storable_text)
]
Names = list[
    Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(storable_text)]
]


class RecordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: Annotated[Key, StringConstraints(max_length=128)] | None = Field(
        default=None, description="the record's id; one is generated when absent"
    )
    data: JsonObject = Field(default_factory=dict)
    tags: Names = Field(default_factory=list)
    lists: Names = Field(default_factory=list)


class RecordData(BaseModel):
    model_config = ConfigDict(extra="forbid")

    data: JsonObject = Field(
        description="PUT: the record's new fields; PATCH: a JSON merge patch (null removes)"
    )


class RecordOut(BaseModel):
    id: str
    type: str
    data: dict[str, Any]
    tags: list[str]
    lists: list[str]
    version: int
    created_at: datetime
    updated_at: datetime


class ChangeOut(BaseModel):
    kind: str
    version: int
    changes: dict[str, Any]
    previous: dict[str, Any] = Field(description="the original values of the changed fields")
    source: str
    created_at: datetime


def record_out(record: Record) -> RecordOut:
    return RecordOut(
        id=record.record_id,
        type=record.type,
        data=record.data,
        tags=list(record.tags),
        lists=list(record.lists),
        version=record.version,
        created_at=record.created_at,
        updated_at=record.updated_at,
    )


@router.post("/{type}", status_code=status.HTTP_201_CREATED)
async def create(
    type: RecordType, body: RecordIn, tenant: CurrentTenant, deps: Deps, audit: AuditNote
) -> RecordOut:
    record_id = body.id or f"{type[:3]}_{uuid.uuid4().hex[:20]}"
    audit.note(f"{type}/{record_id}")
    return await _change(
        deps,
        tenant,
        lambda session: create_record(
            session, tenant, type, record_id, body.data, tags=body.tags, lists=body.lists
        ),
    )


@router.get("/{type}")
def list_(
    type: RecordType,
    tenant: CurrentTenant,
    session: SessionDep,
    filter: Annotated[
        str | None,
        Query(
            max_length=20_000,
            description='JSON: {"status": "open", "score": {"$gte": 7}} — operators $eq $ne $gt '
            "$gte $lt $lte $in $nin $contains $exists, dotted paths into the record's data",
        ),
    ] = None,
    sort: Annotated[
        str | None, Query(max_length=200, description="a field, '-' in front for descending")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: Annotated[str | None, Query(max_length=2000)] = None,
) -> Page[RecordOut]:
    """The records of ``type`` matching ``filter``, newest first unless ``sort`` says otherwise."""
    try:
        clauses = parse_filter(_json_param(filter))
        rows, next_cursor = query_records(
            session, tenant, type, clauses, sort=parse_sort(sort), limit=limit, cursor=cursor
        )
    except DefinitionError as exc:
        raise _invalid_filter(exc.problems) from exc
    except InvalidCursor as exc:
        raise ApiError(400, "Invalid cursor", str(exc)) from exc
    return Page(items=[record_out(row) for row in rows], next_cursor=next_cursor)


@router.get("/{type}/{id}")
def read(type: RecordType, id: RecordId, tenant: CurrentTenant, session: SessionDep) -> RecordOut:
    record = get_record(session, tenant, type, id)
    if record is None:
        raise NotFound(type, id)
    return record_out(record)


@router.get("/{type}/{id}/history")
def history(
    type: RecordType, id: RecordId, tenant: CurrentTenant, session: SessionDep
) -> list[ChangeOut]:
    """The record's audit trail, oldest first: each change with the values it replaced."""
    changes = changes_of(session, tenant, type, id)
    if not changes:
        raise NotFound(type, id)
    return [_change_out(change) for change in changes]


@router.put("/{type}/{id}")
async def replace(
    type: RecordType, id: RecordId, body: RecordData, tenant: CurrentTenant, deps: Deps
) -> RecordOut:
    return await _change(
        deps,
        tenant,
        lambda session: update_record(session, tenant, type, id, body.data, replace=True),
    )


@router.patch("/{type}/{id}")
async def patch(
    type: RecordType, id: RecordId, body: RecordData, tenant: CurrentTenant, deps: Deps
) -> RecordOut:
    return await _change(
        deps, tenant, lambda session: update_record(session, tenant, type, id, body.data)
    )


@router.delete("/{type}/{id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete(type: RecordType, id: RecordId, tenant: CurrentTenant, deps: Deps) -> Response:
    await _change(deps, tenant, lambda session: delete_record(session, tenant, type, id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{type}/{id}/tags/{tag}")
async def add_tag(
    type: RecordType, id: RecordId, tag: Name, tenant: CurrentTenant, deps: Deps
) -> RecordOut:
    return await _membership(deps, tenant, type, id, "tag", tag, True)


@router.delete("/{type}/{id}/tags/{tag}")
async def remove_tag(
    type: RecordType, id: RecordId, tag: Name, tenant: CurrentTenant, deps: Deps
) -> RecordOut:
    return await _membership(deps, tenant, type, id, "tag", tag, False)


@router.post("/{type}/{id}/lists/{list_name}")
async def add_to_list(
    type: RecordType, id: RecordId, list_name: Name, tenant: CurrentTenant, deps: Deps
) -> RecordOut:
    return await _membership(deps, tenant, type, id, "list", list_name, True)


@router.delete("/{type}/{id}/lists/{list_name}")
async def remove_from_list(
    type: RecordType, id: RecordId, list_name: Name, tenant: CurrentTenant, deps: Deps
) -> RecordOut:
    return await _membership(deps, tenant, type, id, "list", list_name, False)


async def _membership(
    deps: Deps, tenant: str, type: str, id: str, kind: str, name: str, present: bool
) -> RecordOut:
    return await _change(
        deps,
        tenant,
        lambda session: set_membership(session, tenant, type, id, kind, name, present),  # type: ignore[arg-type]
    )


async def _change(deps: Deps, tenant: str, make: Callable[[Any], Changed]) -> RecordOut:
    """Make the change and commit it with the intent to emit its event (the outbox), then
    emit it; when Temporal is away a worker's recoverer emits it instead."""
    out, event = await in_thread(_commit_change, deps, tenant, make)
    if event is not None:
        try:
            await accept(deps, tenant, EventIn.model_validate(event))
        except runs_errors.Unavailable:
            return out  # saved, and its event waits in the outbox for the recoverer
        await in_thread(event_emitted, deps, event["id"])
    return out


def _commit_change(
    deps: Deps, tenant: str, make: Callable[[Any], Changed]
) -> tuple[RecordOut, dict[str, Any] | None]:
    """The change committed with the intent to emit its event (None: nothing changed)."""
    try:
        with session_scope(deps.engine) as session:
            changed = make(session)
            out = record_out(changed.record)
            event = change_event(changed.change, changed.record) if changed.change else None
            if event is not None:
                intend_event(session, tenant, event)
    except RecordNotFound as exc:
        raise ApiError(404, "Not found", str(exc)) from exc
    except RecordExists as exc:
        raise Conflict(str(exc)) from exc
    return out, event


def _change_out(change: RecordChange) -> ChangeOut:
    return ChangeOut(
        kind=change.kind,
        version=change.version,
        changes=change.changes,
        previous=change.previous,
        source=change.source,
        created_at=change.created_at,
    )


def _json_param(text: str | None) -> Any:
    if text in (None, ""):
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise _invalid_filter([Problem("filter", f"the filter is not valid JSON ({exc})")]) from exc


def _invalid_filter(problems: list[Problem]) -> ApiError:
    return ApiError(
        422,
        "Invalid filter",
        f"{len(problems)} problem(s) in the filter or sort",
        errors=[p.as_dict() for p in problems],
    )
