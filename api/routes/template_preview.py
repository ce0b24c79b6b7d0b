"""The builder's live template preview: one template rendered by the engine's sandboxed renderer
(its bounds included) against the event a simulation of the draft would start with."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from pydantic import ValidationError
from sqlalchemy.engine import Engine

from api.deps import CurrentTenant, Deps
from api.errors import ApiError
from api.routes.simulations import add_catalog_fields, event_schema, event_type_and_profile
from api.schemas.simulations import TemplatePreviewIn, TemplatePreviewOut
from definitions.context import build_context
from definitions.errors import DefinitionError, Problem, TemplateRenderError
from definitions.models import Trigger
from definitions.templates import DEFAULT_RENDERER, template_context_clock
from storage.db import in_thread
from workflows.simulation import simulated_trigger

router = APIRouter(prefix="/v1/workflows", tags=["testing"])


@router.post("/render-template")
async def render_template(
    body: TemplatePreviewIn, tenant: CurrentTenant, deps: Deps
) -> TemplatePreviewOut:
    """What ``template`` renders to in a run of the draft ``definition`` started by an event
    with ``data`` (without it, the sample data a simulation would use). Steps' outputs and
    variables are empty, as at the run's start; ``secrets.NAME`` stays a placeholder. A
    template that cannot render (syntax, the sandbox, its output or work bounds) is a 422 with
    the renderer's message at ``template``."""
    trigger = _trigger(body)
    try:
        # Reading the catalog, and rendering (bounded, but up to a fraction of a second of
        # work), both off the event loop.
        return await in_thread(_render, deps.engine, tenant, trigger, body)
    except TemplateRenderError as exc:
        message = str(exc)
        raise ApiError(422, "Template error", message, errors=[_at("template", message)]) from exc


def _trigger(body: TemplatePreviewIn) -> Trigger:
    """The draft's trigger, read alone: the rest of a draft being edited may not be valid yet."""
    raw = (body.definition or {}).get("trigger") or {}
    try:
        trigger = Trigger.model_validate(raw)
    except ValidationError as exc:
        raise DefinitionError([Problem("definition.trigger", str(exc.errors()[0]["msg"]))]) from exc
    if body.event_type is not None:
        trigger = trigger.model_copy(update={"event": body.event_type})
    return trigger


def _render(
    engine: Engine, tenant_id: str, trigger: Trigger, body: TemplatePreviewIn
) -> TemplatePreviewOut:
    given = {"data": body.data} if body.data is not None else None
    schema = None if given else event_schema(engine, tenant_id, trigger)
    event, sample = simulated_trigger(trigger, given, schema)
    spec, profile = event_type_and_profile(engine, tenant_id, event["type"])
    add_catalog_fields(spec, event)
    now = datetime.now(UTC)
    event["occurred_at"] = now.isoformat()
    name = (body.definition or {}).get("name")
    context = build_context(
        event,
        workflow={"id": body.workflow_id or "draft", "name": name or "", "version": 0},
        run={"id": "preview", "started_at": now.isoformat()},
        tenant=profile,
    )
    context.update(template_context_clock(now))
    value = DEFAULT_RENDERER.render_string(body.template, context)
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return TemplatePreviewOut(text=text, value=value, sample_data=sample)


def _at(path: str, message: str) -> dict[str, Any]:
    return Problem(path, message).as_dict()
