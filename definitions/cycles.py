"""Cycles in a definition's graph: each must pass through a node that pauses the run.

Paths returned are located by the caller's ``where`` (canonical → submitted).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from definitions.durations import parse_duration
from definitions.errors import DefinitionError, Problem
from definitions.models import START, Definition, Node
from definitions.nodes import PAUSING_TYPES
from definitions.templates import has_expression

Where = Callable[[str], str]
"""Turns a canonical path (``nodes[2].config.to``) into its path in the submitted document."""


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
    if node.type not in PAUSING_TYPES:
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
