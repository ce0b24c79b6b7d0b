"""Workflows that start each other through record changes stop at the chain-depth limit, on the
real API and Temporal; the event that would have gone deeper says why it started nothing."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import col, select

from definitions.chain import DEFAULT_MAX_CHAIN_DEPTH
from storage.db import session_scope
from storage.models import RecordChange
from tests.api.conftest import Stack, finished
from tests.helpers.polling import eventually


def flip(name: str, seen: str, set_to: str) -> dict[str, Any]:
    """On a contact update to ``stage: seen``, update the contact to ``stage: set_to``."""
    return {
        "name": name,
        "trigger": {
            "type": "event",
            "event": "contact.updated",
            "filter": {"field": "stage", "operator": "eq", "value": seen},
        },
        "steps": [{"id": "flip", "type": "update_record", "fields": {"stage": set_to}}],
    }


async def _runs(stack: Stack) -> list[dict[str, Any]]:
    listed = await stack.api.get("/v1/runs", params={"entity": "contact:c1", "limit": 100})
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


async def test_two_workflows_updating_one_contact_stop_at_the_chain_depth(stack: Stack) -> None:
    ping = await stack.create_active(flip("Ping", "ping", "pong"))
    pong = await stack.create_active(flip("Pong", "pong", "ping"))
    await stack.api.post("/v1/records/contact", json={"id": "c1", "data": {"stage": "new"}})
    await stack.api.patch("/v1/records/contact/c1", json={"data": {"stage": "ping"}})

    async def chain_ended() -> bool:
        runs = await _runs(stack)
        assert len(runs) >= DEFAULT_MAX_CHAIN_DEPTH and all(finished(r) for r in runs), runs
        return True

    await eventually(chain_ended, timeout=60)
    await asyncio.sleep(1)  # nothing more starts
    runs = await _runs(stack)
    assert len(runs) == DEFAULT_MAX_CHAIN_DEPTH
    assert {r["status"] for r in runs} == {"completed"}
    details = [(await stack.api.get(f"/v1/runs/{r['id']}")).json() for r in runs]
    depths = sorted(d["trigger"]["chain"]["depth"] for d in details)
    assert depths == list(range(1, DEFAULT_MAX_CHAIN_DEPTH + 1))
    deepest = next(d for d in details if d["trigger"]["chain"]["depth"] == DEFAULT_MAX_CHAIN_DEPTH)
    # The deepest run was started by the run one shallower, and its own change started nothing.
    parent = next(d for d in details if d["id"] == deepest["trigger"]["chain"]["origin_run"])
    assert parent["trigger"]["chain"]["depth"] == DEFAULT_MAX_CHAIN_DEPTH - 1

    with session_scope(stack.engine) as session:  # the deepest run's change: the last one
        last = session.exec(select(RecordChange).order_by(col(RecordChange.id).desc())).first()
        assert last is not None and last.source.startswith(f"run:{deepest['id']}:")
        last_event = f"record-change-{last.id}"
    event = (await stack.api.get(f"/v1/events/{last_event}")).json()
    [outcome] = [o for o in event["outcomes"] if o["outcome"] != "filtered_out"]
    assert outcome["outcome"] == "chain_depth_exceeded"
    assert outcome["workflow_id"] == (
        ping["id"] if DEFAULT_MAX_CHAIN_DEPTH % 2 == 0 else pong["id"]
    )
    assert deepest["id"] in outcome["detail"]
    assert event["runs"] == []
