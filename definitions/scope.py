"""Which names a step's templates and conditions can read, and warnings for those none provides.

A missing variable renders as empty text at run time (SPEC §2.2), so a misspelt name never fails
a run: it silently sends an email with a blank in it. These warnings catch that before the run.

The run context (SPEC §2.3) holds the engine's names (``event``, ``steps``, ``vars``…), the
variables ``set`` steps and ``output`` fields create, a loop's item variable and ``loop`` inside
its body — and, for every trigger that carries data (events, manual runs with input), the data's
fields at top level. A name may be any field there, so for those triggers only what is certainly
wrong is reported: ``steps.<id>`` of a step that does not exist, ``vars.<name>`` nothing sets, and
a loop's variable read outside the loop.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from difflib import get_close_matches
from typing import Any

from jinja2 import TemplateSyntaxError, meta
from jinja2 import nodes as jinja_nodes

from definitions.context import CUSTOM_ANSWERS, CUSTOM_PREFIX, PROFILE_NAMES, RESERVED
from definitions.errors import Problem, join_path
from definitions.locating import locate
from definitions.models import START, Definition, Node
from definitions.nodes import node_type
from definitions.templates import DEFAULT_RENDERER

DATALESS_TRIGGERS = frozenset({"schedule"})
"""Triggers whose runs start with no event data: every top-level name must come from the run."""
TRIGGER_NAMES = {"schedule": frozenset({"scheduled_at"})}
"""What such a trigger does provide (a scheduled run's time, ``workflows.nodes.trigger``)."""
_GLOBALS = frozenset(DEFAULT_RENDERER.env.globals)
"""Jinja's own names (``range``, ``dict``, ``namespace``…)."""

Reference = tuple[str, str | None]
"""A name a template reads, and the key read from it for ``steps``/``vars`` (``steps.a``)."""


def name_warnings(
    definition: Definition,
    field_paths: Mapping[str, str] | None = None,
    event_fields: frozenset[str] | None = None,
) -> list[Problem]:
    """One warning per name a template or condition reads that no context provides.

    ``field_paths`` (from ``normalise_definition``) turns canonical paths into submitted ones.
    ``event_fields``: the names the trigger's event type is known to carry (its catalog schema
    and derived fields); with them, any other top-level name is reported too, with the closest
    known name.
    """
    paths = field_paths or {}
    scope = _Scope(definition, event_fields)
    warnings: list[Problem] = []
    trigger = definition.trigger
    for canonical, refs in _trigger_references(definition):
        for name, key in _ordered(refs):
            if message := scope.trigger_message(name, key):
                warnings.append(Problem(locate(paths, canonical), message))
    for index, node in enumerate(definition.nodes):
        for canonical, refs in _node_references(node, f"nodes[{index}]"):
            for name, key in _ordered(refs):
                if message := scope.message(node.id, name, key, trigger.type):
                    warnings.append(Problem(locate(paths, canonical), message))
    return _unique(warnings)


class _Scope:
    """What the graph makes available: node ids, variables set, and each loop's body."""

    def __init__(self, definition: Definition, event_fields: frozenset[str] | None) -> None:
        self.event_fields = event_fields
        self.ids = {node.id for node in definition.nodes}
        self.variables: set[str] = set()
        for node in definition.nodes:
            if node.output:
                self.variables.add(node.output)
            declared = node_type(node.type)
            if declared and declared.sets:
                self.variables.update(declared.sets(node))
        successors: dict[str, list[tuple[str, str | None]]] = {}
        for edge in definition.edges:
            successors.setdefault(edge.source, []).append((edge.target, edge.when))
        for node in definition.nodes:
            if node.on_error not in (None, "continue", "stop"):
                successors.setdefault(node.id, []).append((node.on_error, "error"))
        self.loop_of: dict[str, list[str]] = {}
        """item variable → the ids of the loops that set it"""
        self.in_scope: dict[str, set[str]] = {node.id: set() for node in definition.nodes}
        """node id → the loop variables it can read"""
        for node in definition.nodes:
            declared = node_type(node.type)
            if not (declared and declared.body_names):
                continue
            names = set(declared.body_names(node))
            for item in names - {"loop"}:
                self.loop_of.setdefault(item, []).append(node.id)
            entries = [t for t, label in successors.get(node.id, []) if label == "body"]
            for member in _reachable(entries, successors, stop=node.id):
                self.in_scope.setdefault(member, set()).update(names)

    def message(self, node_id: str, name: str, key: str | None, trigger_type: str) -> str | None:
        readable = self.in_scope.get(node_id, set())
        if name == "steps" and key is not None and key not in self.ids:
            return f"steps.{key}: no step has the id {key!r}"
        if name == "vars" and key is not None and key not in self.variables:
            return f"vars.{key} is never set: no set step or output names it"
        if name in readable or name in RESERVED or name in _GLOBALS or name in self.variables:
            return None
        if name in PROFILE_NAMES:
            return None  # the tenant's profile (definitions.context)
        if name == "loop":
            return "'loop' only has a value inside a for_each body"
        if name in self.loop_of:
            loops = ", ".join(repr(i) for i in self.loop_of[name])
            return f"{name!r} is the item variable of loop {loops}: it has no value outside it"
        if trigger_type in DATALESS_TRIGGERS and name not in TRIGGER_NAMES.get(trigger_type, ()):
            return (
                f"no context provides {name!r}: a {trigger_type} trigger has no event data, "
                "and no step sets it"
            )
        if name.startswith(CUSTOM_PREFIX) and CUSTOM_ANSWERS in (self.event_fields or ()):
            return None  # one of the data's custom_answers (definitions.context)
        if self.event_fields is not None and name not in self.event_fields:
            known = self.event_fields | self.variables | readable | RESERVED
            close = get_close_matches(name, sorted(known), n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            return f"no context provides {name!r}: the event has no such field{hint}"
        return None  # a field of the event (or of a manual run's input)

    def trigger_message(self, name: str, key: str | None) -> str | None:
        if name in ("steps", "vars") and key is not None:
            return f"{name}.{key}: the trigger is read before any step runs"
        return None


def _reachable(
    entries: list[str], successors: Mapping[str, list[tuple[str, str | None]]], stop: str
) -> set[str]:
    seen: set[str] = set()
    frontier = [e for e in entries if e != stop]
    while frontier:
        current = frontier.pop()
        if current in seen:
            continue
        seen.add(current)
        frontier.extend(t for t, _ in successors.get(current, []) if t not in (stop, START))
    return seen


# --------------------------------------------------------------------------- references


def _trigger_references(definition: Definition) -> Iterator[tuple[str, set[Reference]]]:
    trigger = definition.trigger
    if trigger.entity:
        yield "trigger.entity", template_references(trigger.entity)
    if trigger.filter:
        yield "trigger.filter", _condition_references(trigger.filter)


def _node_references(node: Node, base: str) -> Iterator[tuple[str, set[Reference]]]:
    config = dict(node.config)
    if node.when:
        yield f"{base}.when", _condition_references(node.when)
    condition = config.pop("condition", None)
    declared = node_type(node.type)
    # A wait_for_event's condition reads the awaited event, whose fields are not the run's.
    if isinstance(condition, dict) and not (declared and declared.condition_reads_event):
        yield f"{base}.config.condition", _condition_references(condition)
    cases = config.get("cases") if declared and declared.branch_list == "cases" else None
    if isinstance(cases, list):
        for index, case in enumerate(cases):
            if isinstance(case, dict) and isinstance(case.get("when"), dict):
                path = f"{base}.config.cases[{index}].when"
                yield path, _condition_references(case["when"])
        config["cases"] = [
            {k: v for k, v in case.items() if k != "when"} if isinstance(case, dict) else case
            for case in cases
        ]
    yield from _strings(config, f"{base}.config")


def _strings(value: Any, path: str) -> Iterator[tuple[str, set[Reference]]]:
    if isinstance(value, str):
        if "{{" in value or "{%" in value:
            yield path, template_references(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, join_path(path, str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, join_path(path, index))


def template_references(source: str) -> set[Reference]:
    """The top-level names ``source`` reads, with the key read from ``steps``/``vars``.

    ``"{{ steps.fetch.output.id }} {{ vars.total }} {{ name }}"`` →
    ``{("steps", "fetch"), ("vars", "total"), ("name", None)}``; empty when it does not parse.
    """
    try:
        tree = DEFAULT_RENDERER.env.parse(source)
    except TemplateSyntaxError:  # validation reports it
        return set()
    free = meta.find_undeclared_variables(tree)
    found: set[Reference] = {(name, None) for name in free if name not in ("steps", "vars")}
    for item in tree.find_all((jinja_nodes.Getattr, jinja_nodes.Getitem)):
        assert isinstance(item, jinja_nodes.Getattr | jinja_nodes.Getitem)
        owner = item.node
        if not (isinstance(owner, jinja_nodes.Name) and owner.name in free):
            continue
        if owner.name not in ("steps", "vars"):
            continue
        key = _key(item)
        found.add((owner.name, key))
    return found


def _key(item: jinja_nodes.Getattr | jinja_nodes.Getitem) -> str | None:
    if isinstance(item, jinja_nodes.Getattr):
        return str(item.attr)
    argument = item.arg
    if isinstance(argument, jinja_nodes.Const) and isinstance(argument.value, str):
        return argument.value
    return None  # steps[some_expression]: not knowable before the run


def _condition_references(condition: Any) -> set[Reference]:
    """The names a canonical condition tree's leaves read (their ``field`` paths)."""
    found: set[Reference] = set()
    stack = [condition]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            field = item.get("field")
            if isinstance(field, str) and field:
                head, _, rest = field.partition(".")
                key = rest.partition(".")[0] if head in ("steps", "vars") and rest else None
                found.add((head, key))
            stack.extend(item[k] for k in ("and", "or", "not") if k in item)
            if isinstance(item.get("value"), str):
                found.update(template_references(item["value"]))
    return found


def _ordered(references: set[Reference]) -> list[Reference]:
    return sorted(references, key=lambda ref: (ref[0], ref[1] or ""))


def _unique(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))
