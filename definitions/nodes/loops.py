"""Nodes that run a sub-flow several times: ``for_each`` (its ``body`` once per item of
``items``, the item as ``as`` — default ``item`` — and ``loop`` inside it, ``concurrency`` at
once, default 1) and ``parallel`` (its ``branches`` at once; ``join``: ``all`` of them, the
default, or ``any``). Neither sub-flow rejoins: the step after the node follows its plain edge.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import Field

from definitions.errors import Problem, join_path
from definitions.models import Edge, Node
from definitions.nodes.fields import BODY, Absent, optional, param
from definitions.nodes.spec import Flow, Found, NodeType, is_int, take_flow
from definitions.templates import has_expression

MAX_LOOP_ITEMS = 10_000
"""The most items a ``for_each`` takes unless its ``max_items`` says otherwise."""
MAX_LOOP_ITEMS_CEILING = 100_000
"""The most any ``for_each`` may take: beyond, a run's loop is a batch job, not a workflow."""


def _for_each_shape(
    config: dict[str, Any], where: dict[str, str], problems: list[Problem]
) -> list[Flow]:
    config.setdefault("as", "item")
    config.setdefault("concurrency", 1)
    return take_flow(config, where, "body", "body", rejoins=False)


def _for_each_check(node: Node, config: str, leaving: list[Edge]) -> Found:
    found: Found = []
    items = node.config.get("items")
    if items in (None, ""):
        found.append((f"{config}.items", "for_each needs 'items'"))
    elif not (isinstance(items, list) or has_expression(items)):
        found.append((f"{config}.items", 'items is a template giving a list ("{{ invoices }}")'))
    name = node.config.get("as", "item")
    if not (isinstance(name, str) and name.isidentifier()):
        found.append((f"{config}.as", f"the item variable must be a name, not {name!r}"))
    concurrency = node.config.get("concurrency", 1)
    if not is_int(concurrency) or concurrency < 1:
        found.append((f"{config}.concurrency", "concurrency is a whole number, at least 1"))
    cap = node.config.get("max_items", MAX_LOOP_ITEMS)
    if not is_int(cap) or not 1 <= cap <= MAX_LOOP_ITEMS_CEILING:
        message = f"max_items is a whole number from 1 to {MAX_LOOP_ITEMS_CEILING}"
        found.append((f"{config}.max_items", message))
    if not any(edge.when == "body" for edge in leaving):
        found.append((f"{config}.body", "for_each needs a body"))
    return found


def _in_the_body(node: Node) -> Iterable[str]:
    return (str(node.config.get("as") or "item"), "loop")


def _parallel_shape(
    config: dict[str, Any], where: dict[str, str], problems: list[Problem]
) -> list[Flow]:
    config.setdefault("join", "all")
    branches = config.pop("branches", None)
    path = where.pop("branches", "branches")
    if branches is None:
        return []
    if not isinstance(branches, list):
        problems.append(Problem(path, "branches is a list of branches"))
        return []
    flows = []
    for index, branch in enumerate(branches):
        at = join_path(path, index)
        if isinstance(branch, dict) and "steps" in branch:
            branch, at = branch["steps"], join_path(at, "steps")
        elif isinstance(branch, dict):  # a branch of a single step
            branch = [branch]
        flows.append(Flow("branch", branch, at, rejoins=False))
    return flows


def _parallel_check(node: Node, config: str, leaving: list[Edge]) -> Found:
    found: Found = []
    if node.config.get("join", "all") not in ("all", "any"):
        found.append((f"{config}.join", "join must be 'all' or 'any'"))
    if not any(edge.when == "branch" for edge in leaving):
        found.append((f"{config}.branches", "parallel needs at least one branch"))
    return found


FOR_EACH = NodeType(
    "for_each",
    "flow",
    keys=frozenset({"items", "as", "concurrency", "max_items", "body"}),
    aliases={"loop": {}},
    key_aliases={"collection": "items", "item_variable": "as"},
    shape=_for_each_shape,
    checks=(_for_each_check,),
    leaving=frozenset({None, "body"}),
    body_names=_in_the_body,
    schema={
        "body": BODY,
        "items": param(str | list[Any] | Absent, optional('a for_each\'s list: "{{ invoices }}"')),
        "as": param(str | Absent, Field(default=None, description="a for_each's item variable")),
        "concurrency": param(
            Annotated[int, Field(ge=1)] | Absent, optional("a for_each's iterations at once")
        ),
        "max_items": param(
            Annotated[int, Field(ge=1, le=MAX_LOOP_ITEMS_CEILING)] | Absent,
            optional("the most items a for_each takes (default 10000): more fail the step"),
        ),
    },
)
PARALLEL = NodeType(
    "parallel",
    "flow",
    keys=frozenset({"branches", "join"}),
    shape=_parallel_shape,
    checks=(_parallel_check,),
    leaving=frozenset({None, "branch"}),
    schema={
        "join": param(str | Absent, optional("a parallel's join", enum=["all", "any"])),
        "branches": param(list[Any] | Absent, optional("a parallel's branches: lists of steps")),
    },
)

TYPES = (FOR_EACH, PARALLEL)
