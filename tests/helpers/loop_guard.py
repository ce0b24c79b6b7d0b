"""Catching Relay's async code waiting on the database on an event loop.

The API's routes, the ``runs`` service, the worker's async activities and its own loops run on
an event loop (the API's, a worker's); a database call made there stops every other request,
activity heartbeat and Temporal call until it returns. Their database work goes through
``storage.db.in_thread`` (or ``asyncio.to_thread``); ``blocking_calls`` records every statement
executed on a thread that runs an event loop with an async function of ``activities``, ``api``,
``runs`` or ``worker`` on its stack — what a forgotten ``in_thread`` looks like.
"""

from __future__ import annotations

import asyncio
import inspect
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

import activities
import api
import runs
import worker

ASYNC = inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR
"""A test's own coroutine may call a blocking helper of ``runs``; an async function of Relay's
may not."""
WATCHED = tuple(
    str(Path(package.__file__).parent) + "/"  # type: ignore[arg-type]
    for package in (activities, api, runs, worker)
)


@dataclass
class BlockingCalls:
    found: list[str] = field(default_factory=list)

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:  # a worker thread: blocking there is the point
            return
        frame = sys._getframe(1)
        while frame is not None:
            code = frame.f_code
            if code.co_flags & ASYNC and code.co_filename.startswith(WATCHED):
                where = f"{frame.f_code.co_filename}:{frame.f_lineno} ({frame.f_code.co_name})"
                self.found.append(f"{where}: {' '.join(statement.split())[:100]}")
                return
            frame = frame.f_back  # type: ignore[assignment]

    def report(self) -> str:
        return "database calls on the event loop (use storage.db.in_thread):\n" + "\n".join(
            dict.fromkeys(self.found)
        )


@contextmanager
def blocking_calls() -> Iterator[BlockingCalls]:
    """Record, for every engine, the statements ``api``/``runs`` code runs on an event loop."""
    calls = BlockingCalls()
    event.listen(Engine, "before_cursor_execute", calls)
    try:
        yield calls
    finally:
        event.remove(Engine, "before_cursor_execute", calls)
