"""Checks on flow nodes (SPEC §2.4) and on the shape of the graph they make.

Paths given to and returned by these functions are canonical (``nodes[2].config.items``); the
caller's ``where`` turns them into paths in the submitted document.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeGuard

from definitions.durations import parse_duration
from definitions.errors import DefinitionError, Problem, join_path
from definitions.models import START, STOP_STATUSES, WAIT_TYPES, Definition, Edge, Node
from definitions.templates import has_expression

MAX_LOOP_ITEMS = 10_000
"""The most items a ``for_each`` takes unless its ``max_items`` says otherwise."""
MAX_LOOP_ITEMS_CEILING = 100_000
"""The most any ``for_each`` may take: beyond, a run's loop is a batch job, not a workflow."""

Where = Callable[[str], str]
"""Turns a canonical path (``nodes[2].config.to``) into its path in the submitted document."""


def flow_problems(node: Node, base: str, leaving: list[Edge], where: Where) -> list[Problem]:
    """The problems of one flow node's configuration and of the edges it needs."""
    check = _CHECKS.get(node.type)
    if check is None:
        return []
    found = check(node, f"{base}.config", leaving)
    if node.type in ("switch", "split") and node.when is not None:
        # A skipped node goes on by its plain edge, and these have none to go on by.
        found.append((f"{base}.when", f"a {node.type} takes no guard; put it on a step before"))
    return [Problem(where(path), message) for path, message in found]


Found = list[tuple[str, str]]
"""(canonical path, message) pairs, located by ``flow_problems``."""


def _for_each(node: Node, config: str, leaving: list[Edge]) -> Found:
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
    if not _is_int(concurrency) or concurrency < 1:
        found.append((f"{config}.concurrency", "concurrency is a whole number, at least 1"))
    cap = node.config.get("max_items", MAX_LOOP_ITEMS)
    if not _is_int(cap) or not 1 <= cap <= MAX_LOOP_ITEMS_CEILING:
        found.append(
            (
                f"{config}.max_items",
                f"max_items is a whole number from 1 to {MAX_LOOP_ITEMS_CEILING}",
            )
        )
    if not any(edge.when == "body" for edge in leaving):
        found.append((f"{config}.body", "for_each needs a body"))
    return found


def _parallel(node: Node, config: str, leaving: list[Edge]) -> Found:
    found: Found = []
    if node.config.get("join", "all") not in ("all", "any"):
        found.append((f"{config}.join", "join must be 'all' or 'any'"))
    if not any(edge.when == "branch" for edge in leaving):
        found.append((f"{config}.branches", "parallel needs at least one branch"))
    return found


def _switch(node: Node, config: str, leaving: list[Edge]) -> Found:
    cases = node.config.get("cases")
    if not isinstance(cases, list) or not cases:
        return [(f"{config}.cases", "switch needs at least one case")]
    found: Found = []
    seen: set[str] = set()
    for index, case in enumerate(cases):
        at = join_path(f"{config}.cases", index)
        if not isinstance(case, dict):
            found.append((at, "a case is an object with a name"))
            continue
        name = case.get("name")
        if not isinstance(name, str) or not name.strip():
            found.append((f"{at}.name", "a case needs a name"))
        elif name == "default":
            found.append((f"{at}.name", "'default' names the switch's fallback, not a case"))
        elif name in seen:
            found.append((f"{at}.name", f"a second case named {name!r}"))
        else:
            seen.add(name)
        if "when" in case and "equals" in case:
            found.append((at, "a case takes 'when' or 'equals', not both"))
        elif "equals" in case and "value" not in node.config:
            found.append((f"{at}.equals", "'equals' compares with the switch's 'value': add one"))
        elif case.get("when") is None and "equals" not in case:
            message = "a case needs a 'when' condition, or 'equals' with the switch's 'value'"
            found.append((at, message))
    if not leaving:
        message = "a switch needs an edge for a case or the default"
        found.append((config.removesuffix(".config"), message))
    return found


def _split(node: Node, config: str, leaving: list[Edge]) -> Found:
    variants = node.config.get("variants")
    if not isinstance(variants, list) or not variants:
        return [(f"{config}.variants", "split needs at least one variant")]
    found: Found = []
    seen: set[str] = set()
    labels = {edge.when for edge in leaving}
    for index, variant in enumerate(variants):
        at = join_path(f"{config}.variants", index)
        if not isinstance(variant, dict):
            found.append((at, "a variant is an object with a name and a weight"))
            continue
        name, weight = variant.get("name"), variant.get("weight")
        if not isinstance(name, str) or not name.strip():
            found.append((f"{at}.name", "a variant needs a name"))
        elif name in seen:
            found.append((f"{at}.name", f"a second variant named {name!r}"))
        else:
            seen.add(name)
            if name not in labels and None not in labels:
                message = f"variant {name!r} leads nowhere: give it an edge, or the split one"
                found.append((at, message))
        if not _is_number(weight) or weight <= 0:
            found.append((f"{at}.weight", "a weight is a number above 0"))
    return found


def _waiting(node: Node, config: str, leaving: list[Edge]) -> Found:
    found: Found = []
    if node.type == "wait_for_event" and not (
        isinstance(node.config.get("event"), str) and node.config["event"].strip()
    ):
        found.append((f"{config}.event", "wait_for_event needs the 'event' type it waits for"))
    if node.type == "wait_condition" and node.config.get("condition") is None:
        found.append((f"{config}.condition", "wait_condition needs a condition"))
    timeout = node.config.get("timeout")
    if timeout is not None and (not _is_number(timeout) or timeout <= 0):
        found.append((f"{config}.timeout", "a timeout is a positive duration"))
    return found


def _goal(node: Node, config: str, leaving: list[Edge]) -> Found:
    found: Found = []
    if node.config.get("condition") is None:
        found.append((f"{config}.condition", "a goal needs a condition"))
    if "value" in node.config and not _is_number(node.config["value"]):
        found.append((f"{config}.value", "a goal's value is a number"))
    return found


def _sub_workflow(node: Node, config: str, leaving: list[Edge]) -> Found:
    found: Found = []
    workflow_id = node.config.get("workflow_id")
    if not (isinstance(workflow_id, str) and workflow_id.strip()):
        found.append((f"{config}.workflow_id", "sub_workflow needs the 'workflow_id' to run"))
    version = node.config.get("version")
    if version is not None and (not _is_int(version) or version < 1):
        found.append((f"{config}.version", "a version is a whole number, at least 1"))
    if node.config.get("input") is not None and not isinstance(node.config["input"], dict):
        found.append((f"{config}.input", "input is an object of names and values"))
    return found


def _set(node: Node, config: str, leaving: list[Edge]) -> Found:
    values = node.config.get("values")
    if not isinstance(values, dict) or not values:
        return [(f"{config}.values", "set needs 'values': names and what to set them to")]
    return [
        (join_path(f"{config}.values", name), f"a variable name is a word like total, not {name!r}")
        for name in values
        if not (isinstance(name, str) and name.isidentifier())
    ]


def _stop(node: Node, config: str, leaving: list[Edge]) -> Found:
    status = node.config.get("status")
    if status is None or status in STOP_STATUSES:
        return []
    return [(f"{config}.status", f"a stop status is one of {', '.join(sorted(STOP_STATUSES))}")]


_CHECKS: dict[str, Callable[[Node, str, list[Edge]], Found]] = {
    "for_each": _for_each,
    "parallel": _parallel,
    "switch": _switch,
    "split": _split,
    "wait_for_event": _waiting,
    "wait_condition": _waiting,
    "goal": _goal,
    "sub_workflow": _sub_workflow,
    "set": _set,
    "stop": _stop,
}


# --------------------------------------------------------------------------- cycles


def cycle_problems(definition: Definition, where: Where) -> list[Problem]:
    """One problem per cycle that no wait interrupts: it would spin without ever pausing.

    A cycle here is a strongly connected part of the graph once the waits are taken out, so two
    loops sharing nodes are reported once; every edge label (body, branch, error…) counts.
    """
    index = {node.id: i for i, node in enumerate(definition.nodes)}
    pausing = {node.id for node in definition.nodes if _pauses(node)}
    successors: dict[str, list[str]] = {node_id: [] for node_id in index}
    for source, target in _links(definition):
        if source in index and target in index and not {source, target} & pausing:
            successors[source].append(target)
    problems = []
    for component in _components(successors):
        if len(component) == 1 and component[0] not in successors[component[0]]:
            continue
        ordered = sorted(component, key=index.__getitem__)
        names = " → ".join(repr(n) for n in [*ordered, ordered[0]])
        message = (
            f"the cycle {names} has no wait, wait_for_event or wait_condition on it, so it "
            "would run without pause"
        )
        problems.append(Problem(where(f"nodes[{index[ordered[0]]}]"), message))
    return problems


def _pauses(node: Node) -> bool:
    """Whether a node is a wait that may pause: a ``wait`` of a fixed zero duration never does."""
    if node.type not in WAIT_TYPES:
        return False
    if node.type != "wait" or node.config.get("until") not in (None, ""):
        return True
    duration = node.config.get("duration")
    if isinstance(duration, str) and has_expression(duration):
        return True  # a template: known when the run gets there
    try:
        return parse_duration(duration, "duration") > timedelta(0)
    except DefinitionError:
        return True  # refused by the wait's own check


def _links(definition: Definition) -> list[tuple[str, str]]:
    links = [(e.source, e.target) for e in definition.edges if e.source != START]
    for node in definition.nodes:
        if node.on_error not in (None, "continue", "stop"):
            links.append((node.id, node.on_error))
    return links


def _components(successors: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iteratively (a graph may be deep)."""
    order: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in successors:
        if root in order:
            continue
        work = [(root, iter(successors[root]))]
        order[root] = low[root] = len(order)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == order[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(component)
            elif child not in order:
                order[child] = low[child] = len(order)
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(successors[child])))
            elif child in on_stack:
                low[node] = min(low[node], order[child])
    return components


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
