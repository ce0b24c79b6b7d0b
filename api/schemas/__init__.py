"""Request and response bodies of the v1 API, one module per resource (``events``, ``runs``,
``workflows``, ``simulations``); a resource whose bodies only its own router uses keeps them in
its router module. ``Page`` is every list's envelope.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
