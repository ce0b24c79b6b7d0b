"""Flow nodes (SPEC §2.4): their canonical configuration and the sub-flows they name inline.

A flow node may carry the steps (or the ids of the nodes) it leads to: a loop's ``body``, a
parallel's ``branches``, a switch's ``cases`` and ``default``, a split's ``variants``, a wait's
``on_timeout``. ``flow_config`` takes those out of the configuration and hands them back as
``Flow``s — one per labelled edge to draw — for the builder in ``definitions.normalise`` to chain.
What stays in the configuration is only what the interpreter reads:

- ``for_each``: ``items``, ``as`` (default ``item``), ``concurrency`` (default 1)
- ``parallel``: ``join`` (default ``all``)
- ``switch``: ``cases`` (``[{"name", "when"}]`` or ``[{"name", "equals"}]`` with a ``value``)
- ``split``: ``variants`` (``[{"name", "weight"}]``, weight default 1)
- ``wait_for_event``: ``event``, ``condition``, ``timeout`` (seconds)
- ``wait_condition``: ``condition``, ``timeout`` (seconds)
- ``goal``: ``condition``, ``value``
- ``sub_workflow``: ``workflow_id``, ``version``, ``input``
- ``set``: ``values`` (name → template or value)
- ``stop``: ``status``
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from definitions.aliases import canonical_event_type
from definitions.conditions import normalise_condition
from definitions.durations import parse_duration
from definitions.errors import DefinitionError, Problem, join_path

CONDITION_TYPES = frozenset({"condition", "wait_for_event", "wait_condition", "goal"})
"""Types whose ``condition`` is their purpose; ``when``/``conditions`` on them mean it."""
TIMEOUT_TYPES = frozenset({"wait_for_event", "wait_condition"})
"""Types whose ``timeout`` is how long to wait, not a per-attempt limit."""
BRANCHING_TYPES = frozenset({"condition", "switch", "split"})
"""Types that continue only along their labelled branches, never by a plain edge."""

_STATUS_ALIASES = {"canceled": "cancelled", "complete": "completed", "success": "completed"}


@dataclass(frozen=True)
class Flow:
    """A sub-flow written inline on a node: one edge labelled ``label`` to draw.

    ``value`` is a list of steps, a node id, a list of node ids (the first is the entry), or
    None when nothing was written. ``rejoins``: the sub-flow's last steps (or, with nothing
    written, the labelled edge itself) continue to the step after the node.
    """

    label: str
    value: Any
    path: str
    rejoins: bool


def flow_config(
    node_type: str, config: dict[str, Any], where: dict[str, str], problems: list[Problem]
) -> list[Flow]:
    """Canonicalise ``config`` in place; returns the sub-flows it named.

    ``where`` maps each config key to its submitted path and is kept up to date (``cases[1]``
    keys are added for the items of a switch or split).
    """
    shape = _SHAPES.get(node_type)
    return shape(config, where, problems) if shape else []


def _for_each(config: dict[str, Any], where: dict[str, str], problems: list[Problem]) -> list[Flow]:
    config.setdefault("as", "item")
    config.setdefault("concurrency", 1)
    return _take_flow(config, where, "body", "body", rejoins=False)


def _parallel(config: dict[str, Any], where: dict[str, str], problems: list[Problem]) -> list[Flow]:
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


def _switch(config: dict[str, Any], where: dict[str, str], problems: list[Problem]) -> list[Flow]:
    flows: list[Flow] = []
    canonical = []
    for index, (case, at) in enumerate(_cases(config, where, problems)):
        steps = case.pop("steps", None)
        key = next((k for k in ("when", "condition", "conditions") if k in case), None)
        if key is not None:
            condition = case.pop(key)
            for other in ("condition", "conditions"):
                case.pop(other, None)
            case["when"] = _condition(condition, join_path(at, key), problems)
            where[f"cases[{index}].when"] = join_path(at, key)
        elif "equals" not in case and "value" in config and isinstance(case.get("name"), str):
            case["equals"] = case["name"]  # {"value": "{{ plan }}", "cases": {"pro": …}}
        if isinstance(case.get("name"), str):
            written = steps not in (None, [])
            at_steps = join_path(at, "steps") if written else at
            flows.append(Flow(case["name"], steps if written else None, at_steps, rejoins=True))
        canonical.append(case)
        where[f"cases[{index}]"] = at
    if "cases" in config:
        config["cases"] = canonical
    default = config.pop("default", None)
    default_path = where.pop("default", "default")
    flows.append(Flow("default", default or None, default_path, rejoins=True))
    return flows


def _cases(
    config: dict[str, Any], where: dict[str, str], problems: list[Problem]
) -> list[tuple[dict[str, Any], str]]:
    """A switch's cases as written, each a copy with its submitted path.

    Cases may be a list of objects or an object of name → steps (or name → case object).
    """
    cases = config.get("cases")
    path = where.get("cases", "cases")
    if cases is None:
        return []
    if isinstance(cases, dict):
        return [
            ({**case, "name": name} if _is_case(case) else {"name": name, "steps": case}, at)
            for name, case in cases.items()
            for at in [join_path(path, str(name))]
        ]
    if not isinstance(cases, list):
        problems.append(Problem(path, "cases is a list of cases"))
        return []
    found = []
    for index, case in enumerate(cases):
        if isinstance(case, dict):
            found.append((dict(case), join_path(path, index)))
        else:
            problems.append(Problem(join_path(path, index), "a case is an object with a name"))
    return found


def _is_case(value: Any) -> bool:
    return isinstance(value, dict) and any(
        k in value for k in ("steps", "when", "condition", "conditions", "equals")
    )


def _split(config: dict[str, Any], where: dict[str, str], problems: list[Problem]) -> list[Flow]:
    variants = config.get("variants")
    path = where.get("variants", "variants")
    if variants is None:
        return []
    if not isinstance(variants, list):
        problems.append(Problem(path, "variants is a list of {name, weight}"))
        return []
    flows, canonical = [], []
    for index, variant in enumerate(variants):
        at = join_path(path, index)
        if not isinstance(variant, dict):
            problems.append(Problem(at, "a variant is an object with a name and a weight"))
            continue
        variant = dict(variant)
        for alias in ("percentage", "percent"):
            if alias in variant and "weight" not in variant:
                variant["weight"] = variant.pop(alias)
        variant.setdefault("weight", 1)
        steps = variant.pop("steps", None)
        if isinstance(variant.get("name"), str):
            flows.append(Flow(variant["name"], steps or None, join_path(at, "steps"), rejoins=True))
        canonical.append(variant)
        where[f"variants[{index}]"] = at
    config["variants"] = canonical
    return flows


def _waiting(config: dict[str, Any], where: dict[str, str], problems: list[Problem]) -> list[Flow]:
    if isinstance(config.get("event"), str):
        config["event"] = canonical_event_type(config["event"])
    if config.get("timeout") is None:
        config.pop("timeout", None)
    else:
        path = where.get("timeout", "timeout")
        try:
            config["timeout"] = parse_duration(config["timeout"], path).total_seconds()
        except DefinitionError as exc:
            problems.extend(exc.problems)
    return _take_flow(config, where, "on_timeout", "timeout", rejoins=True)


def _sub_workflow(
    config: dict[str, Any], where: dict[str, str], problems: list[Problem]
) -> list[Flow]:
    workflow_id = config.get("workflow_id")
    if isinstance(workflow_id, int) and not isinstance(workflow_id, bool):
        config["workflow_id"] = str(workflow_id)  # ids exported from a database
    return []


def _set(config: dict[str, Any], where: dict[str, str], problems: list[Problem]) -> list[Flow]:
    if "values" not in config and "name" in config and "value" in config:
        # The flat form {"name": "total", "value": "{{ a + b }}"} sets one variable.
        name, name_path = str(config.pop("name")), where.pop("name", "name")
        config["values"] = {name: config.pop("value")}
        where.pop("value", None)
        where.update({"values": name_path, f"values.{name}": name_path})
    return []


def _stop(config: dict[str, Any], where: dict[str, str], problems: list[Problem]) -> list[Flow]:
    status = config.get("status")
    if isinstance(status, str):
        key = status.strip().lower()
        config["status"] = _STATUS_ALIASES.get(key, key)
    return []


def _take_flow(
    config: dict[str, Any], where: dict[str, str], key: str, label: str, *, rejoins: bool
) -> list[Flow]:
    """Pop ``config[key]`` as the flow labelled ``label``; none when nothing was written."""
    value = config.pop(key, None)
    path = where.pop(key, key)
    return [] if value in (None, []) else [Flow(label, value, path, rejoins)]


def _condition(value: Any, path: str, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        return normalise_condition(value, path)
    except DefinitionError as exc:
        problems.extend(exc.problems)
        return None


_SHAPES = {
    "for_each": _for_each,
    "parallel": _parallel,
    "switch": _switch,
    "split": _split,
    "wait_for_event": _waiting,
    "wait_condition": _waiting,
    "sub_workflow": _sub_workflow,
    "set": _set,
    "stop": _stop,
}
