"""What run intake and control need from outside, built by the composition root."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.engine import Engine
from temporalio.client import Client

from definitions.chain import DEFAULT_MAX_CHAIN_DEPTH
from runs.errors import Unavailable
from runs.pacing import IntakePace


@dataclass(kw_only=True)
class RunsDeps:
    engine: Engine
    connect_temporal: Callable[[], Awaitable[Client]]
    task_queue: str
    search_attributes: bool = True
    """Tag runs and schedules with Relay's search attributes (the server must know them)."""
    entity_key: bytes | None = None
    """Hashes the entity search attribute (``workflows.search_attributes.entity_token``);
    None: the entity is tagged as it is."""
    max_chain_depth: int = DEFAULT_MAX_CHAIN_DEPTH
    """Runs started by events that runs emitted, in a row, before no further one starts."""
    cancel_grace: timedelta = timedelta(seconds=30)
    """How long a cancelled run may take to end itself before it is terminated
    (``RELAY_CANCEL_GRACE``)."""
    start_deadline: timedelta = timedelta(minutes=10)
    """How long a run Temporal could not take is retried before it is failed with the reason
    (``RELAY_START_DEADLINE``)."""
    pace: IntakePace | None = None
    """Holds events from outside while the workers are behind (``runs.pacing``); None: never
    (the worker's own intake — events its runs emit — is never held)."""
    public_url: str | None = None
    """The API's address as users reach it: the Temporal UI links each run to its page there
    (``runs.temporal_ui``); None: no link."""
    _client: Client | None = field(default=None, init=False, repr=False)
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, init=False, repr=False)

    @classmethod
    def over(
        cls,
        client: Client,
        engine: Engine,
        task_queue: str,
        search_attributes: bool = True,
        max_chain_depth: int = DEFAULT_MAX_CHAIN_DEPTH,
        entity_key: bytes | None = None,
        *,
        cancel_grace: timedelta | None = None,
        start_deadline: timedelta | None = None,
        public_url: str | None = None,
    ) -> RunsDeps:
        """Over an already connected client (a worker's); unset durations keep the defaults."""

        async def same_client() -> Client:
            return client

        deps = cls(
            engine=engine,
            connect_temporal=same_client,
            task_queue=task_queue,
            search_attributes=search_attributes,
            max_chain_depth=max_chain_depth,
            entity_key=entity_key,
            public_url=public_url,
        )
        deps.cancel_grace = cancel_grace if cancel_grace is not None else deps.cancel_grace
        deps.start_deadline = start_deadline if start_deadline is not None else deps.start_deadline
        return deps

    async def temporal(self) -> Client:
        """The Temporal client, connected on first use so the API starts before Temporal."""
        if self._client is None:
            async with self._lock:
                if self._client is None:
                    try:
                        self._client = await self.connect_temporal()
                    except Exception as exc:  # connection refused, DNS, TLS…
                        raise Unavailable("Temporal is not reachable") from exc
        return self._client
