"""Nodes that choose a way on: ``condition`` (true/false), ``switch`` (named cases and a
default) and ``split`` (weighted variants, for A/B tests).

Their branches may be written inline: a condition's ``then``/``else``, a switch's ``cases``
(``[{"name", "when"}]``, ``[{"name", "equals"}]`` with a ``value``, or an object of name →
steps) and ``default``, a split's ``variants`` (``[{"name", "weight", "steps"}]``, weight
default 1). Every branch rejoins the step after the node.
"""

from __future__ import annotations

from typing import Any

from definitions.errors import Problem, join_path
from definitions.models import Edge, Node
from definitions.nodes.fields import (
    CONDITION,
    VALUE,
    Absent,
    Case,
    SubFlow,
    Variant,
    optional,
    param,
)
from definitions.nodes.spec import Flow, Found, NodeType, condition_or_problem, is_number


def _condition_check(node: Node, config: str, leaving: list[Edge]) -> Found:
    if node.config.get("condition") is None:
        return [(f"{config}.condition", "a condition node needs a condition")]
    return []


# --------------------------------------------------------------------------- switch


def _switch_shape(
    config: dict[str, Any], where: dict[str, str], problems: list[Problem]
) -> list[Flow]:
    flows: list[Flow] = []
    canonical = []
    for index, (case, at) in enumerate(_cases(config, where, problems)):
        steps = case.pop("steps", None)
        key = next((k for k in ("when", "condition", "conditions") if k in case), None)
        if key is not None:
            condition = case.pop(key)
            for other in ("condition", "conditions"):
                case.pop(other, None)
            case["when"] = condition_or_problem(condition, join_path(at, key), problems)
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


def _switch_check(node: Node, config: str, leaving: list[Edge]) -> Found:
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


def _no_guard(node: Node, config: str, leaving: list[Edge]) -> Found:
    if node.when is None:
        return []
    # A skipped node goes on by its plain edge, and these have none to go on by.
    base = config.removesuffix(".config")
    return [(f"{base}.when", f"a {node.type} takes no guard; put it on a step before")]


# --------------------------------------------------------------------------- split


def _split_shape(
    config: dict[str, Any], where: dict[str, str], problems: list[Problem]
) -> list[Flow]:
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


def _split_check(node: Node, config: str, leaving: list[Edge]) -> Found:
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
        if not is_number(weight) or weight <= 0:
            found.append((f"{at}.weight", "a weight is a number above 0"))
    return found


CONDITION_NODE = NodeType(
    "condition",
    "branch",
    keys=frozenset({"condition"}),
    aliases={"if": {}, "if_else": {}},
    checks=(_condition_check,),
    leaving=frozenset({"true", "false", "error"}),
    inline_branches=(("true", ("then", "true_branch")), ("false", ("else", "false_branch"))),
    condition_verb="branches on",
    branching=True,
    schema={
        "condition": CONDITION,
        "then": param(SubFlow | Absent, optional("a condition's true branch")),
        "else": param(SubFlow | Absent, optional("the false branch")),
    },
)
SWITCH = NodeType(
    "switch",
    "branch",
    keys=frozenset({"cases", "default", "value"}),
    key_aliases={"default_branch": "default"},
    shape=_switch_shape,
    checks=(_switch_check, _no_guard),
    leaving=frozenset({"default"}),
    branch_list="cases",
    branching=True,
    schema={
        "cases": param(list[Case] | dict[str, Any] | Absent, optional("a switch's cases")),
        "default": param(SubFlow | Absent, optional("a switch's fallback")),
        "value": VALUE,
    },
)
SPLIT = NodeType(
    "split",
    "branch",
    keys=frozenset({"variants"}),
    aliases={"ab_split": {}},
    shape=_split_shape,
    checks=(_split_check, _no_guard),
    branch_list="variants",
    branching=True,
    schema={"variants": param(list[Variant] | Absent, optional("a split's weighted variants"))},
)

TYPES = (CONDITION_NODE, SWITCH, SPLIT)
