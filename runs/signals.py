"""Routing an event to the runs already waiting for it (``wait_for_event`` and the like).

Waiting runs are found through their watches (``storage.watches``), in the database the runs
write to, rather than through Temporal's visibility store, which lags behind by seconds.
"""

from __future__ import annotations

import asyncio
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from runs.deps import RunsDeps
from runs.errors import Unavailable
from storage.db import session_scope
from storage.watches import runs_watching, unwatch
from workflows.contract import EVENT_SIGNAL


async def signal_watchers(
    deps: RunsDeps, tenant_id: str, event: dict[str, Any], started: set[str]
) -> list[str]:
    """Signal ``event`` (``TriggerEvent.signalled``) to every run watching its entity for its
    type, except the runs it has just ``started``; returns the ids of the runs signalled. A run
    Temporal no longer has open loses its watches instead."""
    if not event["entity"]:
        return []
    watchers = await asyncio.to_thread(_watchers, deps, tenant_id, event, started)
    if not watchers:
        return []
    client = await deps.temporal()
    results = await asyncio.gather(
        *(_signal(client, run_id, event) for run_id in watchers), return_exceptions=True
    )
    closed = [run_id for run_id, result in zip(watchers, results, strict=True) if result is False]
    if closed:
        await asyncio.to_thread(_unwatch, deps, closed)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return [run_id for run_id, result in zip(watchers, results, strict=True) if result is True]


async def _signal(client: Client, run_id: str, event: dict[str, Any]) -> bool:
    """True when the run took the signal, False when it is closed or gone."""
    try:
        await client.get_workflow_handle(run_id).signal(EVENT_SIGNAL, event)
    except RPCError as exc:
        if exc.status == RPCStatusCode.NOT_FOUND:  # also what a closed run answers
            return False
        raise Unavailable(f"could not signal run {run_id}: {exc.message}") from exc
    return True


def _watchers(
    deps: RunsDeps, tenant_id: str, event: dict[str, Any], started: set[str]
) -> list[str]:
    with session_scope(deps.engine) as session:
        return [
            run_id
            for run_id in runs_watching(session, tenant_id, event["entity"], event["type"])
            if run_id not in started
        ]


def _unwatch(deps: RunsDeps, run_ids: list[str]) -> None:
    with session_scope(deps.engine) as session:
        for run_id in run_ids:
            unwatch(session, run_id)
