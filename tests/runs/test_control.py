"""Cancelling and retrying runs: the service's typed answers."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from runs.control import cancel_run, retry_run
from runs.errors import Conflict, NotFound
from runs.intake import accept_event, received
from tests.helpers.db import run_row
from tests.helpers.polling import eventually
from tests.runs.conftest import Service

WAITING: dict[str, Any] = {
    "name": "Follow-up",
    "trigger": {"type": "event", "event": "booking.created"},
    "steps": [{"id": "pause", "type": "wait", "duration": "P3D"}],
}


async def test_an_unknown_run_is_not_found(service: Service) -> None:
    with pytest.raises(NotFound) as raised:
        await cancel_run(service.deps, service.tenant_id, "run_nope")
    assert raised.value.detail == "no run 'run_nope'"


async def test_an_open_run_is_cancelled_and_only_then_retried(service: Service) -> None:
    service.activate(WAITING)
    event = received("booking.created", id=f"evt-{uuid.uuid4().hex[:8]}")
    [run] = (await accept_event(service.deps, service.tenant_id, event)).runs

    def waiting() -> bool:
        row = run_row(service.deps.engine, run.id)
        return row is not None and row.status == "waiting"

    await eventually(waiting)
    with pytest.raises(Conflict, match="cancel it before retrying"):
        await retry_run(service.deps, service.tenant_id, run.id, None)

    assert await cancel_run(service.deps, service.tenant_id, run.id) is True
    with pytest.raises(Conflict, match="already ended"):
        await cancel_run(service.deps, service.tenant_id, run.id)
    retried = await retry_run(service.deps, service.tenant_id, run.id, "once")
    assert retried.status == "started"
    retry_row = run_row(service.deps.engine, retried.id)
    assert retry_row is not None and retry_row.retry_of == run.id
    assert await cancel_run(service.deps, service.tenant_id, retried.id) is True
