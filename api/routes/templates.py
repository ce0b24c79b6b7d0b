"""The built-in template library: list the templates, create a draft workflow from one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, status
from pydantic import BaseModel, ConfigDict, Field

from api.deps import CurrentTenant, SessionDep
from api.errors import ApiError, NotFound
from api.flow_picture import flow_graph
from api.routes.analytics import GraphEdge, GraphNode
from api.routes.workflows import load_document, merge_patch, workflow_out
from api.schemas import Page
from api.schemas.workflows import WorkflowOut
from api.storable import Key, Text
from definitions.library import CATEGORIES, Template, get_template, list_templates
from definitions.loading import load_definition
from storage.workflows import create_workflow, template_usage

router = APIRouter(tags=["templates"])

TEMPLATE_SETTING = "template"
"""The ``settings`` key that records, in the created workflow's document, the template it came
from. ``settings`` accepts extra keys, so this needs no migration and survives export/import."""


class TemplateGraph(BaseModel):
    nodes: list[GraphNode]
    edges: list[GraphEdge]


class TemplateOut(BaseModel):
    id: str
    name: str
    category: str
    description: str
    usage_count: int = Field(description="workflows of this tenant created from the template")
    definition: dict[str, Any]
    sample_data: dict[str, Any] = Field(description="event data to try the template with")
    graph: TemplateGraph = Field(
        description="its flow as a workflow's graph draws it (no runs: counts are 0)"
    )


class FromTemplateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    template_id: Key
    name: Annotated[str | None, Field(min_length=1, max_length=200)] = None
    overrides: dict[str, Any] | None = Field(
        default=None, description="a JSON merge patch (RFC 7396) over the template's definition"
    )


@router.get("/v1/templates")
def templates(
    tenant: CurrentTenant, session: SessionDep, category: Text | None = None
) -> Page[TemplateOut]:
    """Every built-in template (of ``category``), with how often this tenant has used it."""
    if category is not None and category not in CATEGORIES:
        raise ApiError(422, "Unknown category", f"category is one of {', '.join(CATEGORIES)}")
    counts = template_usage(session, tenant, TEMPLATE_SETTING)
    return Page(items=[_template_out(t, counts.get(t.id, 0)) for t in list_templates(category)])


@router.post("/v1/workflows/from-template", status_code=status.HTTP_201_CREATED)
def from_template(body: FromTemplateIn, tenant: CurrentTenant, session: SessionDep) -> WorkflowOut:
    """A new draft: the template's definition with ``overrides`` merged in and ``name`` set."""
    template = get_template(body.template_id)
    if template is None:
        raise NotFound("template", body.template_id)
    document: dict[str, Any] = merge_patch(template.document(), body.overrides or {})
    if body.name:
        document["name"] = body.name
    settings = document.setdefault("settings", {})
    if isinstance(settings, dict):  # anything else is the validator's to refuse
        settings[TEMPLATE_SETTING] = template.id
    definition = load_document(document)
    workflow = create_workflow(session, tenant, definition.canonical(), document)
    session.flush()
    return workflow_out(session, workflow)


def _template_out(template: Template, usage_count: int) -> TemplateOut:
    return TemplateOut(
        id=template.id,
        name=template.name,
        category=template.category,
        description=template.description,
        usage_count=usage_count,
        definition=template.document(),
        sample_data=template.sample_data,
        graph=_graph(template),
    )


def _graph(template: Template) -> TemplateGraph:
    nodes, edges = flow_graph(load_definition(template.document()).canonical(), 0, {}, {}, {})
    return TemplateGraph.model_validate(
        {
            "nodes": [vars(n) for n in nodes],
            "edges": [
                {"from": e.source, "to": e.target, "when": e.label, "count": 0} for e in edges
            ],
        }
    )
