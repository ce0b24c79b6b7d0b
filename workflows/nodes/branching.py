"""Where the run goes next: ``condition``, ``switch``, ``split`` (an A/B test) and ``stop``."""

from __future__ import annotations

from temporalio import workflow

from definitions.models import Node
from definitions.templates import render
from workflows.contract import RECORD_RUN_MARKS, RunMarksInput
from workflows.nodes.base import Outcome, Run, RunEnd, Scope, holds
from workflows.steps import local_activity


async def condition(run: Run, node: Node, scope: Scope) -> Outcome:
    result = holds(run, node.config["condition"], scope)
    run.log.done(node, scope, {"result": result})
    return "true" if result else "false"


async def switch(run: Run, node: Node, scope: Scope) -> Outcome:
    """The first case that matches (its value ``equals`` the switch's, or its ``when`` holds)."""
    config = node.config
    value = render(config["value"], scope.context) if "value" in config else None
    for case in config.get("cases", []):
        if "equals" in case:
            matched = str(value) == str(render(case["equals"], scope.context))
        else:
            matched = holds(run, case.get("when"), scope)
        if matched:
            run.log.done(node, scope, {"case": case["name"]})
            return str(case["name"])
    run.log.done(node, scope, {"case": "default"})
    return "default"


async def split(run: Run, node: Node, scope: Scope) -> Outcome:
    """A variant drawn by weight; the run's first is marked on its row for analytics."""
    variants = node.config["variants"]
    point = workflow.random().uniform(0, sum(float(v["weight"]) for v in variants))
    chosen = variants[-1]["name"]
    for variant in variants:
        point -= float(variant["weight"])
        if point < 0:
            chosen = variant["name"]
            break
    run.log.done(node, scope, {"variant": chosen})
    if run.variant is None:
        run.variant = chosen
        await local_activity(RECORD_RUN_MARKS, RunMarksInput(run.ref, variant=chosen))
    return str(chosen)


async def stop(run: Run, node: Node, scope: Scope) -> Outcome:
    run.log.done(node, scope, None)
    return RunEnd(str(node.config.get("status") or "completed"))
