"""What a node type declares about itself (``NodeType``), and the small helpers its declarations
share. The family modules beside this one (``actions``, ``records``, ``branching``, ``waits``,
``loops``, ``calls``, ``control``) each declare their types; ``definitions.nodes`` gathers them
into the registry the generic drivers (normalise, validate, scope, schema, the flow picture) read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeGuard

from pydantic.fields import FieldInfo

from definitions.conditions import normalise_condition
from definitions.errors import DefinitionError, Problem

if TYPE_CHECKING:
    from definitions.models import Edge, Node

Kind = Literal["action", "branch", "wait", "flow", "goal", "stop"]
"""How a type is drawn in the flow picture; ``action`` types are the run's work (stats, alerts)."""

Found = list[tuple[str, str]]
"""(canonical path, message) pairs a check returns; the validator locates them."""
Check = Callable[["Node", str, list["Edge"]], Found]
"""A check of one node: the node, the canonical path of its config, the edges leaving it."""
Shape = Callable[[dict[str, Any], dict[str, str], list[Problem]], list["Flow"]]
"""Canonicalise a node's config in place (``where``: config key → submitted path, kept up to
date); returns the sub-flows written inline on it."""
Param = tuple[Any, FieldInfo]
"""A config key's JSON-Schema part: its annotation and its pydantic ``Field``."""
Labels = frozenset[str | None]
PLAIN: Labels = frozenset({None})
"""The unlabelled edge only."""


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


@dataclass(frozen=True)
class NodeType:
    """Everything Relay knows about one node type, in one place."""

    name: str
    kind: Kind
    keys: frozenset[str] = frozenset()
    """The canonical config keys the type reads (its aliases below are known too)."""
    aliases: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Other names the reference documents give the type → what the alias says beyond it
    (``create_task`` → ``{"record_type": "task"}``)."""
    key_aliases: Mapping[str, str] = field(default_factory=dict)
    """Written config key → canonical config key."""
    open_keys: bool = False
    """Any other config key is data the type uses as it is (a new record's fields)."""
    shape: Shape | None = None
    """Canonicalises the config and takes out its inline sub-flows (``definitions.normalise``)."""
    needs: tuple[tuple[str, ...], ...] = ()
    """Config keys it cannot do without: at least one key of each group has a value."""
    checks: tuple[Check, ...] = ()
    """The type's own validation (``definitions.validation``), after ``needs``."""
    leaving: Labels = PLAIN
    """The labels of the edges that may leave it (None: the unlabelled edge)."""
    branch_list: str | None = None
    """A config list whose items' names are edge labels too (a switch's cases)."""
    inline_branches: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """Node keys holding labelled sub-flows: (label, keys), as a condition's then/else."""
    condition_verb: str | None = None
    """For types whose ``condition`` is their purpose: what they do with it (the message
    refusing a guard on them); ``when``/``conditions`` on them mean that condition."""
    condition_reads_event: bool = False
    """Its condition reads an awaited event, not the run context."""
    timeout_is_wait: bool = False
    """Its ``timeout`` is how long to wait, not a per-attempt limit."""
    branching: bool = False
    """It continues only along its labelled branches, never by a plain edge."""
    pauses: bool = False
    """It pauses a run; a cycle must pass through one such node."""
    ends_run: bool = False
    """Unguarded, nothing after it runs."""
    entered_by_condition: bool = False
    """Entered whenever its condition holds, wherever the run is — not by an edge."""
    name_in_config: Callable[[dict[str, Any]], bool] | None = None
    """When the node's ``name`` is part of its config (a flat ``set``), given the config."""
    sets: Callable[[Node], Iterable[str]] | None = None
    """The run variables the node sets, readable by every later template."""
    body_names: Callable[[Node], Iterable[str]] | None = None
    """The names readable inside the sub-flow it leaves by its ``body`` edge."""
    schema: Mapping[str, Param] = field(default_factory=dict)
    """Its keys' JSON-Schema parts, for editors' completion (``definitions.schema``)."""

    def known_keys(self) -> frozenset[str]:
        """Every config key the type understands: canonical keys, their aliases, and the keys an
        alias of the type fills in."""
        from_aliases = {key for defaults in self.aliases.values() for key in defaults}
        return self.keys | frozenset(self.key_aliases) | frozenset(from_aliases)


def keyed(problems: Callable[[Node], list[tuple[str, str]]]) -> Check:
    """A check from a function giving (config key, message) pairs."""

    def check(node: Node, config: str, leaving: list[Edge]) -> Found:
        return [(f"{config}.{key}", message) for key, message in problems(node)]

    return check


def take_flow(
    config: dict[str, Any], where: dict[str, str], key: str, label: str, *, rejoins: bool
) -> list[Flow]:
    """Pop ``config[key]`` as the flow labelled ``label``; none when nothing was written."""
    value = config.pop(key, None)
    path = where.pop(key, key)
    return [] if value in (None, []) else [Flow(label, value, path, rejoins)]


def rename(config: dict[str, Any], where: dict[str, str], alias: str, canonical: str) -> None:
    """Move ``config[alias]`` (and where it was written) to ``canonical``, unless that is set."""
    if alias in config and canonical not in config:
        config[canonical] = config.pop(alias)
        where[canonical] = where.pop(alias)


def condition_or_problem(value: Any, path: str, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        return normalise_condition(value, path)
    except DefinitionError as exc:
        problems.extend(exc.problems)
        return None


def is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)
