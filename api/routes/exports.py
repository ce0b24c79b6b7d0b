"""The CSV exports ``export`` steps make: listed, described, and downloaded."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field

from api.deps import CurrentTenant, Deps, SessionDep
from api.errors import ApiError, NotFound
from api.pagination import newest_first
from api.schemas import Page
from api.storable import Text
from storage.exports import exports_query, get_export
from storage.models import Export
from storage.signed_links import valid

router = APIRouter(prefix="/v1/exports", tags=["exports"])

ExportId = Annotated[str, Path(min_length=1, max_length=64, examples=["exp_3f1c…"])]


class ExportOut(BaseModel):
    id: str
    record_type: str
    filter: dict[str, Any] | None = Field(description="the record filter, as the step ran it")
    sort: str | None
    columns: list[str]
    rows: int
    truncated: bool = Field(description="more records matched than the export's row limit")
    run_id: str | None = Field(description="the run whose export step made it")
    download: str = Field(description="where the CSV is: this API's path")
    created_at: datetime


def export_out(row: Export) -> ExportOut:
    return ExportOut(
        id=row.id,
        record_type=row.record_type,
        filter=row.filter,
        sort=row.sort,
        columns=list(row.columns),
        rows=row.row_count,
        truncated=row.truncated,
        run_id=row.run_id,
        download=f"/v1/exports/{row.id}/download",
        created_at=row.created_at,
    )


@router.get("")
def list_(
    tenant: CurrentTenant,
    session: SessionDep,
    record_type: Text | None = None,
    run_id: Text | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: str | None = None,
) -> Page[ExportOut]:
    """The tenant's exports, newest first."""
    query = exports_query(tenant, record_type=record_type, run_id=run_id)
    rows, next_cursor = newest_first(
        session, query, (Export.created_at, Export.id), str, limit, cursor
    )
    return Page(items=[export_out(row) for row in rows], next_cursor=next_cursor)


@router.get("/{id}")
def read(id: ExportId, tenant: CurrentTenant, session: SessionDep) -> ExportOut:
    return export_out(_export(session, tenant, id))


@router.get(
    "/{id}/download",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "the CSV file"}},
)
def download(id: ExportId, tenant: CurrentTenant, session: SessionDep) -> Response:
    """The export's CSV (UTF-8, a header row, CRLF line ends), as an attachment."""
    return _csv(_export(session, tenant, id))


@router.get(
    "/{id}/file",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}, "description": "the CSV file"}},
)
def signed_download(
    id: ExportId,
    expires: Annotated[int, Query(ge=0, le=2**40)],
    signature: Annotated[str, Query(min_length=1, max_length=128)],
    session: SessionDep,
    deps: Deps,
) -> Response:
    """The export's CSV through the signed, expiring link an email carried: no API key; a
    link changed in any part, or followed after it expired, is 403."""
    export = session.get(Export, id)
    if (
        deps.link_key is None
        or export is None
        or not valid(deps.link_key, "export", export.tenant_id, id, expires, signature)
    ):
        raise ApiError(403, "Forbidden", "the link is invalid or has expired")
    return _csv(export)


def _csv(export: Export) -> Response:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{export.record_type}-{export.id}")
    return Response(
        content=export.content,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


def _export(session: SessionDep, tenant: str, export_id: str) -> Export:
    export = get_export(session, tenant, export_id)
    if export is None:
        raise NotFound("export", export_id)
    return export
