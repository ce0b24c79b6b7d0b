"""One submitted node → its canonical ``Node`` (``definitions.normalise`` chains the nodes).

Whatever a node carries besides the keys every node shares (``_NODE_KEYS``) is its
configuration, written on the node or under ``config`` / ``configuration`` / ``action_config``.
Its type's declaration in ``definitions.nodes`` renames config key aliases, fills in what a type
alias implies, and shapes the rest (taking out the sub-flows written inline on it). Every
canonical field's submitted path is recorded, and every problem collected, not raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from definitions.conditions import normalise_condition
from definitions.durations import parse_duration
from definitions.errors import DefinitionError, Problem, join_path
from definitions.locating import pydantic_problems
from definitions.models import Node, RetrySpec
from definitions.nodes import alias_defaults
from definitions.nodes.spec import Flow, NodeType, rename
from definitions.unknown_keys import PRESENTATION_KEYS

NODE_KEYS = frozenset(
    {
        "id", "node_id", "type", "node_type", "action_type", "action", "name", "label",
        "when", "conditions", "retry", "timeout", "on_error", "allow_failure",
        "output", "outputs", "is_active", "order", "ordering", "position_x", "position_y",
        "position", "then", "else", "true_branch", "false_branch", "config", "configuration",
        "action_config",
    }
)  # fmt: skip
"""Keys that describe a node itself; everything else on a node is its configuration."""
CONFIG_KEYS = ("config", "configuration", "action_config")
_INLINE_KEYS = ("then", "else", "true_branch", "false_branch")


@dataclass
class ReadNode:
    node: Node
    flows: list[Flow]
    """The sub-flows it names inline (then, body…), for the builder to chain."""
    fields: dict[str, str]
    """Canonical path below the node (``""``, ``.type``, ``.config.to``) → submitted path."""


@dataclass
class NodeSource:
    """Where a node was written and what the builder already read of it."""

    raw: dict[str, Any]
    path: str
    node_id: str
    id_path: str
    type_key: str
    type_name: str
    """The type as written (an alias, perhaps)."""


def read_node(source: NodeSource, declared: NodeType, problems: list[Problem]) -> ReadNode | None:
    """The canonical node of ``source``, of the ``declared`` type; None when it cannot be one
    (its problems are in ``problems``)."""
    raw, path = source.raw, source.path
    config, where, container = _config(raw, declared, source.type_name, path)
    name = raw.get("name") or raw.get("label")
    if declared.name_in_config and "name" in raw and declared.name_in_config(config):
        config["name"], where["name"] = raw["name"], join_path(path, "name")
        name = raw.get("label")
    node_fields: dict[str, Any] = {
        "id": source.node_id,
        "type": declared.name,
        "name": name,
        "config": config,
        "output": _first(raw.get("output") or raw.get("outputs")),
    }
    when_key = next((k for k in ("when", "conditions") if k in raw), None)
    if declared.condition_verb:
        _own_condition(source, declared, config, where, when_key, problems)
    elif when_key:
        node_fields["when"] = _condition(raw[when_key], join_path(path, when_key), problems)
    node_fields.update(_run_settings(raw, declared, config, where, path, problems))
    flows = declared.shape(config, where, problems) if declared.shape else []
    try:
        node = Node.model_validate(node_fields)
    except ValueError as exc:
        problems.extend(pydantic_problems(exc, path))
        return None
    fields = {"": path, ".type": join_path(path, source.type_key), ".id": source.id_path}
    fields[".config"] = container
    fields.update({join_path(".config", k): p for k, p in where.items()})
    if when_key:
        fields[".when"] = join_path(path, when_key)
    if "on_error" not in raw and "allow_failure" in raw:
        fields[".on_error"] = join_path(path, "allow_failure")
    if "outputs" in raw and "output" not in raw:
        fields[".output"] = join_path(path, "outputs")
    inline = [k for k in _INLINE_KEYS if k in raw]
    if inline and not declared.inline_branches:
        problems.append(Problem(join_path(path, inline[0]), "only condition nodes have then/else"))
    for label, keys in declared.inline_branches:
        key = next((k for k in keys if k in raw), keys[0])
        flows.append(Flow(label, raw.get(key) or None, join_path(path, key), rejoins=True))
    return ReadNode(node, flows, fields)


def _run_settings(
    raw: dict[str, Any],
    declared: NodeType,
    config: dict[str, Any],
    where: dict[str, str],
    path: str,
    problems: list[Problem],
) -> dict[str, Any]:
    """``on_error`` (or ``allow_failure``), ``retry`` and a per-attempt ``timeout``."""
    found: dict[str, Any] = {}
    if raw.get("allow_failure") is True:
        found["on_error"] = "continue"
    if "on_error" in raw:
        found["on_error"] = raw["on_error"]
    if "retry" in raw:
        found["retry"] = _retry(raw["retry"], join_path(path, "retry"), problems)
    if "timeout" in raw:
        if declared.timeout_is_wait:  # how long to wait, not a per-attempt limit
            config["timeout"], where["timeout"] = raw["timeout"], join_path(path, "timeout")
        else:
            found["timeout"] = _seconds(raw["timeout"], join_path(path, "timeout"), problems)
    return found


def _own_condition(
    source: NodeSource,
    declared: NodeType,
    config: dict[str, Any],
    where: dict[str, str],
    when_key: str | None,
    problems: list[Problem],
) -> None:
    """The condition a node exists for: ``condition``, else ``when`` or ``conditions``."""
    raw, path = source.raw, source.path
    condition, condition_path = config.pop("condition", None), where.get("condition")
    if condition is None and not when_key and _leaf_written_flat(declared, config):
        # The marketing document's condition node: field, operator and value in its config.
        condition = {key: config.pop(key) for key in _LEAF_KEYS if key in config}
        condition_path = where["field"].rpartition(".")[0]
        for key in _LEAF_KEYS:
            where.pop(key, None)
    if condition in (None, {}, []) and when_key:
        condition, condition_path = raw[when_key], join_path(path, when_key)
    elif when_key:
        verb = declared.condition_verb
        message = f"a {declared.name} node {verb} 'condition'; it takes no guard"
        problems.append(Problem(join_path(path, when_key), message))
    condition_path = condition_path or join_path(path, "condition")
    normalised = _condition(condition, condition_path, problems)
    # A branching node keeps even a missing condition: validation reports it there.
    if normalised is not None or declared.branching:
        config["condition"] = normalised
        where["condition"] = condition_path


_LEAF_KEYS = ("field", "operator", "value", "ignore_case")


def _leaf_written_flat(declared: NodeType, config: dict[str, Any]) -> bool:
    """A comparison written straight into the config of a node whose condition is its purpose
    (not a goal's: its ``value`` is the goal's value)."""
    return "field" in config and "operator" in config and "value" not in declared.keys


def _config(
    raw: dict[str, Any], declared: NodeType, type_name: str, path: str
) -> tuple[dict[str, Any], dict[str, str], str]:
    """The node's configuration, where each key was written, and the container's path."""
    config: dict[str, Any] = {}
    where: dict[str, str] = {}
    container = path
    for key in CONFIG_KEYS:
        if isinstance(raw.get(key), dict):
            base = join_path(path, key)
            container = base if container == path else container
            config.update(raw[key])
            where.update({str(k): join_path(base, str(k)) for k in raw[key]})
    # Presentation metadata stays in the source document; a new record takes any key as data.
    ignored = NODE_KEYS if declared.open_keys else NODE_KEYS | PRESENTATION_KEYS
    extra = {k: v for k, v in raw.items() if k not in ignored}
    config.update(extra)
    where.update({k: join_path(path, k) for k in extra})
    for alias, canonical in declared.key_aliases.items():
        rename(config, where, alias, canonical)
    for key, value in alias_defaults(type_name).items():
        config.setdefault(key, value)
    return config, where, container


def _condition(value: Any, path: str, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        return normalise_condition(value, path)
    except DefinitionError as exc:
        problems.extend(exc.problems)
        return None


def _seconds(value: Any, path: str, problems: list[Problem]) -> float | None:
    try:
        return parse_duration(value, path).total_seconds()
    except DefinitionError as exc:
        problems.extend(exc.problems)
        return None


def _retry(value: Any, path: str, problems: list[Problem]) -> RetrySpec | None:
    if isinstance(value, int) and not isinstance(value, bool):
        value = {"max_attempts": value}
    if not isinstance(value, dict):
        problems.append(Problem(path, "retry must be an object or a number of attempts"))
        return None
    spec = dict(value)
    for key in ("initial_interval", "max_interval"):
        if key in spec:
            spec[key] = _seconds(spec[key], join_path(path, key), problems)
    try:
        return RetrySpec.model_validate(spec)
    except ValueError as exc:
        problems.extend(pydantic_problems(exc, path))
        return None


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and value else value or None
