"""``set``: variables computed from templates, for the steps that follow."""

from __future__ import annotations

from definitions.errors import TemplateRenderError
from definitions.models import Node
from definitions.templates import render
from workflows.errors import error_of
from workflows.nodes.base import Outcome, Run, Scope, failed
from workflows.steps import expose


async def set_values(run: Run, node: Node, scope: Scope) -> Outcome:
    try:
        values = render(node.config.get("values") or {}, scope.context)
    except TemplateRenderError as exc:
        step = run.log.step(node, scope, "running")
        return await failed(run, node, scope, step, error_of(exc))
    scope.context["vars"].update(values)
    expose(scope.context, values)
    run.log.done(node, scope, values)
    return None
