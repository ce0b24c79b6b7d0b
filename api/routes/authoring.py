"""Authoring: validate a document, import and export it as JSON or YAML, the DSL's JSON Schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response, status
from sqlmodel import Session

from api.deps import CurrentTenant, SessionDep
from api.errors import ApiError
from api.routes.workflows import (
    find_version,
    find_workflow,
    load_document,
    workflow_out,
)
from api.schemas.workflows import (
    MAX_VERSION,
    NodeTypesOut,
    ProblemOut,
    SchedulePreviewIn,
    SchedulePreviewOut,
    ValidationOut,
    WorkflowOut,
)
from api.storable import json_problem
from definitions.documents import dump_json, dump_yaml, parse_yaml
from definitions.errors import DefinitionError, Problem
from definitions.loading import check_definition
from definitions.schedules import next_fire_times, schedule_problems
from definitions.schema import definition_json_schema, node_type_catalog
from definitions.stored_checks import event_type_problems, stored_data_problems
from storage.db import in_thread
from storage.event_types import get_event_type
from storage.stored_data import stored_data
from storage.workflows import create_workflow, submitted_document

router = APIRouter(tags=["authoring"])

MAX_DOCUMENT_BYTES = 1_000_000
YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml", "text/x-yaml"})
_DOCUMENT_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"type": "object", "description": "a definition (GET /v1/schema)"}
            },
            "application/yaml": {"schema": {"type": "string", "description": "the same, as YAML"}},
        },
    }
}


async def read_document(request: Request) -> Any:
    """The body as a document: JSON, or YAML when sent as ``application/yaml``.

    A body that is not valid JSON/YAML raises ``DefinitionError`` (422) saying where.
    """
    media = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    is_yaml = media in YAML_TYPES
    if not is_yaml and media not in ("application/json", "") and not media.endswith("+json"):
        raise ApiError(415, "Unsupported media type", "send application/json or application/yaml")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_DOCUMENT_BYTES:
            raise ApiError(413, "Content too large", f"at most {MAX_DOCUMENT_BYTES} bytes")
    return parse_yaml(bytes(body)) if is_yaml else _parse_json(bytes(body))


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise DefinitionError.at("", f"the body is not valid JSON at {where}: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise DefinitionError.at("", "the body is not valid UTF-8 text") from exc
    except RecursionError as exc:
        raise DefinitionError.at("", "the body nests too deeply") from exc


Submitted = Annotated[Any, Depends(read_document)]


# --------------------------------------------------------------------------- validate


@router.post(
    "/v1/workflows/validate", openapi_extra=_DOCUMENT_BODY, response_model_exclude_none=True
)
async def validate_draft(
    request: Request, tenant: CurrentTenant, session: SessionDep, canonical: bool = False
) -> ValidationOut:
    """Errors and warnings of a draft document, each at its path; stores nothing.
    ``canonical=true`` adds the document's canonical form (what the visual builder draws).

    Always 200: an invalid document is a report with ``valid: false``, not a failed request.
    """
    try:
        document = await read_document(request)
    except DefinitionError as exc:
        return _report(exc.problems, [])
    return await in_thread(_validate, document, session, tenant, canonical=canonical)


@router.post("/v1/workflows/{workflow_id}/validate", response_model_exclude_none=True)
def validate_stored(workflow_id: str, tenant: CurrentTenant, session: SessionDep) -> ValidationOut:
    """Errors and warnings of the workflow's latest version, as activation would see them."""
    workflow = find_workflow(session, tenant, workflow_id)
    latest = find_version(session, workflow, workflow.latest_version)
    return _validate(submitted_document(latest), session, tenant, workflow.id)


def _validate(
    document: Any,
    session: Session,
    tenant: str,
    workflow_id: str | None = None,
    *,
    canonical: bool = False,
) -> ValidationOut:
    if problem := json_problem(document):
        return _report([problem], [])
    # Conditions are checked against the trigger's event type in the tenant's catalog.
    report = check_definition(document, lambda name: get_event_type(session, tenant, name))
    errors, warnings = report.errors, report.warnings
    if report.definition is not None and report.paths is not None:
        name = document.get("name") if isinstance(document, dict) else None
        stored = stored_data(session, tenant, workflow_id)
        more_errors, more_warnings = stored_data_problems(
            report.definition, name if isinstance(name, str) else None, stored, report.paths
        )
        more_errors += event_type_problems(document.get("event_types"), stored)
        errors, warnings = errors + more_errors, warnings + more_warnings
    out = _report(errors, warnings)
    if canonical and report.definition is not None:
        out.definition = report.definition.canonical()
    return out


def _report(errors: list[Problem], warnings: list[Problem]) -> ValidationOut:
    return ValidationOut(
        valid=not errors,
        errors=[ProblemOut(**p.as_dict()) for p in errors],
        warnings=[ProblemOut(**p.as_dict()) for p in warnings],
    )


# --------------------------------------------------------------------------- import / export


@router.post(
    "/v1/workflows/import", status_code=status.HTTP_201_CREATED, openapi_extra=_DOCUMENT_BODY
)
def import_workflow(document: Submitted, tenant: CurrentTenant, session: SessionDep) -> WorkflowOut:
    """A new draft from an exported (or hand-written) document, JSON or YAML."""
    definition = load_document(document)
    workflow = create_workflow(session, tenant, definition.canonical(), document)
    session.flush()
    return workflow_out(session, workflow)


@router.get(
    "/v1/workflows/{workflow_id}/export",
    response_class=Response,
    responses={
        200: {
            "content": {"application/json": {}, "application/yaml": {}},
            "description": "the submitted document; importing it gives the same workflow",
        }
    },
)
def export_workflow(
    workflow_id: str,
    tenant: CurrentTenant,
    session: SessionDep,
    format: Literal["json", "yaml"] = "json",
    version: Annotated[int | None, Query(ge=1, le=MAX_VERSION)] = None,
) -> Response:
    """The document of the latest version (or of ``version``) exactly as it was submitted."""
    workflow = find_workflow(session, tenant, workflow_id)
    stored = find_version(session, workflow, version or workflow.latest_version)
    document = submitted_document(stored)
    if format == "yaml":
        return Response(dump_yaml(document), media_type="application/yaml")
    return Response(dump_json(document), media_type="application/json")


# --------------------------------------------------------------------------- schema


@router.get("/v1/schema", response_class=Response)
def schema() -> Response:
    """The JSON Schema of a definition document, for editors. Needs no API key."""
    return Response(_schema_text(), media_type="application/schema+json")


@router.get("/v1/node-types")
def node_types() -> NodeTypesOut:
    """Every node type by family — the edge labels leaving it, the keys it needs and its
    config's JSON Schema — with the common step keys' and the trigger's schema: what the visual
    builder's palette and forms are made of."""
    return _node_types()


@router.post("/v1/schedules/preview")
def schedule_preview(body: SchedulePreviewIn) -> SchedulePreviewOut:
    """The next times a schedule trigger (cron, calendar or interval, in its time zone) would
    fire from now: what the builder's cron editor shows as it is typed."""
    trigger = {**body.trigger, "type": "schedule"}
    problems = schedule_problems(trigger, lambda path: path)
    if problems:
        raise DefinitionError(problems)
    times = next_fire_times(trigger, datetime.now(UTC), body.count)
    return SchedulePreviewOut(timezone=trigger.get("timezone") or "UTC", times=times)


@cache
def _node_types() -> NodeTypesOut:
    return NodeTypesOut.model_validate(node_type_catalog())


@cache
def _schema_text() -> str:
    return json.dumps(definition_json_schema(), ensure_ascii=False)
