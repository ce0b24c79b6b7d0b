"""Sub-flows run more than once or side by side: ``for_each`` and ``parallel``.

A sub-flow (a loop's body, a parallel branch) is a walk of its own from an entry node until the
chain ends, in a ``Scope`` that carries its variables and the suffix that makes its step keys —
and so its idempotency keys — unique per iteration.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio import workflow

from definitions.errors import TemplateRenderError
from definitions.models import Node
from definitions.nodes.loops import MAX_LOOP_ITEMS
from definitions.templates import render
from workflows.contract import permanent
from workflows.errors import error_of
from workflows.nodes.base import (
    ContinueAsNew,
    Outcome,
    Run,
    RunEnd,
    Scope,
    failed,
    history_is_long,
)
from workflows.policies import LOOP_CAP_PATCH


async def for_each(run: Run, node: Node, scope: Scope) -> Outcome:
    config = node.config
    resume, run.resume_loop = run.resume_loop, None  # set when continuing-as-new here
    items = resume.loop_items if resume is not None else None
    if items is None:
        try:
            items = render(config["items"], scope.context)
        except TemplateRenderError as exc:
            step = run.log.step(node, scope, "running")
            return await failed(run, node, scope, step, error_of(exc))
    if not isinstance(items, list):
        step = run.log.step(node, scope, "running")
        message = f"items must be a list, not {type(items).__name__}"
        return await failed(run, node, scope, step, error_of(permanent(message, "invalid_items")))
    cap = int(config.get("max_items") or MAX_LOOP_ITEMS)
    if resume is None and len(items) > cap and run.patched(LOOP_CAP_PATCH):
        step = run.log.step(node, scope, "running")
        message = f"{len(items)} items, more than this for_each takes ({cap}: its max_items)"
        return await failed(run, node, scope, step, error_of(permanent(message, "too_many_items")))
    body = run.graph.successor(node.id, "body")
    name = str(config.get("as") or "item")
    concurrency = max(1, int(config.get("concurrency") or 1))
    first = resume.loop_index if resume is not None else 0
    # Iterations run in windows; between windows, at the top level, the run may
    # continue-as-new, carrying the items and the position.
    window = 1 if concurrency == 1 else concurrency * 10
    for begin in range(first, len(items), window):
        if begin > first:
            await run.log.checkpoint()
        if scope.top and begin > first and history_is_long():
            raise ContinueAsNew(run.snapshot(node.id, begin, items))
        indexes = range(begin, min(len(items), begin + window))
        end = await _iterations(run, body, scope, name, items, indexes, concurrency)
        if end is not None:
            return end
    run.log.done(node, scope, {"count": len(items)})
    return None


async def _iterations(
    run: Run, body: str | None, scope: Scope, name: str, items: list[Any], window: range,
    concurrency: int,
) -> RunEnd | None:  # fmt: skip
    limit = asyncio.Semaphore(concurrency)

    async def one(index: int) -> RunEnd | None:
        async with limit:
            context = {**scope.context, "steps": dict(scope.context["steps"])}
            context[name] = items[index]
            context["loop"] = {
                "index": index,
                "first": index == 0,
                "last": index == len(items) - 1,
                "length": len(items),
            }
            return await run.walk(body, Scope(context, f"{scope.suffix}[{index}]", top=False))

    if concurrency == 1:
        for index in window:
            if (end := await one(index)) is not None:
                return end
        return None
    ends = await asyncio.gather(*(one(index) for index in window))
    return next((end for end in ends if end is not None), None)


async def parallel(run: Run, node: Node, scope: Scope) -> Outcome:
    """Every branch at once; ``join: any`` ends when the first does, cancelling the others."""
    entries = run.graph.targets(node.id, "branch")
    branches = [
        asyncio.ensure_future(run.walk(entry, Scope(scope.context, scope.suffix, top=False)))
        for entry in entries
    ]
    if node.config.get("join") == "any":
        done, pending = await workflow.wait(branches, return_when=asyncio.FIRST_COMPLETED)
        for branch in pending:
            branch.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        ends = [branch.result() for branch in done]
    else:
        ends = list(await asyncio.gather(*branches))
    run.log.done(node, scope, {"branches": len(entries), "join": node.config.get("join", "all")})
    return next((end for end in ends if end is not None), None)
