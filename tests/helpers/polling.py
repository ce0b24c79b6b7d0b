"""Waiting for what a user would see, without sleeping a fixed time: ``eventually``."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None] | T | None],
    *,
    timeout: float = 20,
    interval: float = 0.2,
    what: str = "the condition",
) -> T:
    """Call ``probe`` (sync or async) every ``interval`` seconds until it returns something
    other than None or False, and return that. A probe that raises (an ``assert`` that does
    not hold yet, a server not up yet) is called again; once ``timeout`` seconds have passed,
    its last exception is raised, or an AssertionError naming ``what`` never held."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            value = probe()
            if inspect.isawaitable(value):
                value = await value
            if value is not None and value is not False:
                return value  # type: ignore[return-value]
        except Exception:
            if loop.time() > deadline:
                raise
        if loop.time() > deadline:
            raise AssertionError(f"{what} did not hold within {timeout:g} s")
        await asyncio.sleep(interval)
