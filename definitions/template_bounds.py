"""Bounds on what one template render may do (SPEC §3 "Bounded"): its work and every value it
builds. Jinja's sandbox guards attribute access, not size or time: a nested loop over ``range``
burns CPU until Temporal's deadlock detector fires, and ``join``, ``replace``, format widths or a
namespace doubling a string allocate far past the output limit before anything is printed.

The work is *counted* — loop iterations, calls and printed values — never timed, so a render
fails the same way on every replay of a workflow. ``definitions.templates`` wires these into its
sandboxed environment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.sandbox import SandboxedFormatter, SecurityError
from jinja2.utils import Namespace

MAX_OUTPUT = 100_000
"""Characters one render may produce; also bounds every intermediate string or list."""
MAX_OPERATIONS = 200_000
"""Loop iterations, calls and printed values one render may take."""


class Budget:
    """What one render may still do. Jinja has no such bound of its own: a nested loop over
    ``range`` burns CPU until Temporal's deadlock detector fires, and text built inside a
    ``{% set %}`` block or a namespace never reaches the output bound."""

    __slots__ = ("operations", "characters", "max_output")

    def __init__(self, max_output: int) -> None:
        self.operations = MAX_OPERATIONS
        # Text printed anywhere, block sets and macros included: output plus what they discard.
        self.characters = 10 * max_output
        self.max_output = max_output

    def charge(self, operations: int = 1) -> None:
        self.operations -= operations
        if self.operations < 0:
            raise SecurityError(f"the template does more than {MAX_OPERATIONS} operations")

    def produce(self, characters: int) -> None:
        self.characters -= characters
        if self.characters < 0:
            raise SecurityError("the template builds more text than the output limit allows")

    def check_size(self, size: int) -> None:
        if size > self.max_output:
            raise SecurityError(f"a value would exceed the output limit ({self.max_output})")


BUDGET: ContextVar[Budget | None] = ContextVar("relay_template_budget", default=None)


def budget() -> Budget:
    # Outside a render (a filter called directly) nothing is counted against a render.
    return BUDGET.get() or Budget(MAX_OUTPUT)


def counted(items: Any) -> Iterator[Any]:
    """Every ``{% for %}`` iterates through this (see ``count_loops``)."""
    work = budget()
    for item in items:
        work.charge()
        yield item


COUNTED = "relay_counted_iteration"


def count_loops(template: nodes.Template) -> nodes.Template:
    """Make every for-loop of a parsed template iterate through ``counted``."""
    for loop in template.find_all(nodes.For):
        loop.iter = nodes.Call(nodes.Name(COUNTED, "load"), [loop.iter], [], None, None)
    return template


class BoundedNamespace(Namespace):
    """``namespace()`` whose attributes cannot grow past the output limit (``ns.s = ns.s ~ ns.s``
    in a loop doubles a string each pass)."""

    def __setitem__(self, name: str, value: Any) -> None:
        if isinstance(value, str | list | tuple | dict):
            budget().check_size(len(value))
        super().__setitem__(name, value)


def _join_size(items: list[Any], separator: str) -> int:
    return sum(len(str(item)) for item in items) + len(separator) * max(len(items) - 1, 0)


def _replace_size(text: str, old: str, new: str, count: int = -1) -> int:
    found = len(text) + 1 if old == "" else text.count(old)
    if count is not None and count >= 0:
        found = min(found, count)
    return len(text) + found * (len(new) - len(old))


@jinja2.pass_environment
def join_filter(
    environment: jinja2.Environment, value: Any, d: str = "", attribute: str | int | None = None
) -> str:
    items = list(value)
    if attribute is not None:
        getter = jinja2.filters.make_attrgetter(environment, attribute)
        items = [getter(item) for item in items]
    budget().check_size(_join_size(items, str(d)))
    return str(d).join(str(item) for item in items)


def replace_filter(value: Any, old: Any, new: Any, count: int | None = None) -> str:
    text, old, new = str(value), str(old), str(new)
    budget().check_size(_replace_size(text, old, new, -1 if count is None else count))
    return text.replace(old, new, -1 if count is None else count)


def check_call(method: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """Refuse a str method call whose result would pass the output limit, before it allocates;
    the arguments to call it with (an iterable given to ``join`` is read once, here)."""
    owner = getattr(method, "__self__", None)
    if not isinstance(owner, str):
        return args
    work = budget()
    name = getattr(method, "__name__", "")
    if name in _PADDING_METHODS and any(isinstance(a, int) and a > work.max_output for a in args):
        raise SecurityError("padding would exceed the output limit")
    if name == "join" and args:
        items = list(args[0])
        work.check_size(_join_size(items, owner))
        args = (items, *args[1:])
    if name == "replace" and len(args) >= 2:
        count = args[2] if len(args) > 2 and isinstance(args[2], int) else -1
        work.check_size(_replace_size(owner, str(args[0]), str(args[1]), count))
    return args


class BoundedFormatter(SandboxedFormatter):
    """``str.format`` whose field widths and precisions, nested ones included
    (``'{:>{}}'.format('a', 10**8)``), stay under the output limit."""

    def format_field(self, value: Any, format_spec: str) -> Any:
        if oversized_format(format_spec):
            raise SecurityError("format width would exceed the output limit")
        return super().format_field(value, format_spec)


def check_percent(text: str, args: Any) -> None:
    """``'%*d' % (10**8, 1)``: a width or precision taken from the arguments."""
    if oversized_format(text):
        raise SecurityError("format width would exceed the output limit")
    if "*" in text:
        values = args if isinstance(args, tuple | list) else (args,)
        if any(isinstance(v, int) and abs(v) > budget().max_output for v in values):
            raise SecurityError("format width would exceed the output limit")


_PADDING_METHODS = frozenset({"center", "ljust", "rjust", "zfill", "expandtabs"})
_WIDE_FORMAT = re.compile(r"\d{6,}")


def repetition(left: Any, right: Any) -> int:
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple) and isinstance(times, int):
            return len(seq) * times
    return 0


def oversized_format(text: str) -> bool:
    return _WIDE_FORMAT.search(text) is not None


def format_filter(value: Any, *args: Any, **kwargs: Any) -> str:
    check_percent(str(value), args)
    return str(value) % (kwargs or args)


def center_filter(value: Any, width: int = 80) -> str:
    if width > MAX_OUTPUT:
        raise SecurityError("center width exceeds the output limit")
    return str(value).center(width)
