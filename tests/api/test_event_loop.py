"""The API keeps answering while the database is slow: a request waiting on the database waits
in a worker thread (``storage.db.in_thread``), never on the event loop every request shares.
(``tests/helpers/loop_guard.py`` checks the same for every test's statements.)"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from tests.api.conftest import Stack
from tests.helpers.polling import eventually
from tests.helpers.serving import serving

HELD_FOR = 10.0
"""How long the held statement waits to be released before going ahead anyway."""


@dataclass
class Hold:
    """Holds the first statement that starts with ``prefix`` until ``release`` is set."""

    prefix: str
    held: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    gave_up: bool = False

    def __call__(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if self.held.is_set() or not statement.lstrip().startswith(self.prefix):
            return
        self.held.set()
        self.gave_up = not self.release.wait(HELD_FOR)


@pytest.fixture
def held_event_insert(engine: Engine) -> Iterator[Hold]:
    """The database stalls on storing an event (a lock held elsewhere, a slow disk)."""
    hold = Hold("INSERT INTO events")
    event.listen(engine, "before_cursor_execute", hold)
    yield hold
    hold.release.set()
    event.remove(engine, "before_cursor_execute", hold)


async def test_other_requests_are_answered_while_one_waits_on_the_database(
    stack: Stack, held_event_insert: Hold
) -> None:
    await stack.create_active(
        {
            "name": "Held",
            "trigger": {"type": "event", "event": "booking.created"},
            "steps": [{"id": "pause", "type": "wait", "duration": "P1D"}],
        }
    )
    async with serving(stack.app) as url:
        headers = {"Authorization": stack.api.headers["authorization"]}
        async with httpx.AsyncClient(base_url=url, headers=headers, timeout=30) as client:
            posting = asyncio.create_task(
                client.post("/v1/events", json={"type": "booking.created", "id": "evt-held"})
            )
            await eventually(held_event_insert.held.is_set, what="the event's INSERT was held")

            listed = await client.get("/v1/workflows")
            health = await client.get("/healthz")

            # Answered while the event still waited on the database, not after it gave up.
            assert not held_event_insert.gave_up and not posting.done()
            assert listed.status_code == 200 and listed.json()["items"][0]["name"] == "Held"
            assert health.status_code == 200
            held_event_insert.release.set()
            accepted = await posting
    assert accepted.status_code == 202, accepted.text
    [run] = accepted.json()["runs"]
    assert run["status"] == "started"
    await stack.client.get_workflow_handle(run["id"]).terminate("test over")


async def test_concurrent_writes_are_all_taken_without_a_locked_database(stack: Stack) -> None:
    """Their database work now runs in threads at once: SQLite's writers wait for one another
    (WAL, busy timeout) instead of failing with "database is locked"."""
    await stack.create_active(
        {
            "name": "Quick",
            "trigger": {"type": "event", "event": "booking.created"},
            "steps": [{"id": "note", "type": "set", "values": {"seen": "{{ booking_id }}"}}],
        }
    )
    events = [
        stack.api.post(
            "/v1/events",
            json={"type": "booking.created", "id": f"evt-c{i}", "data": {"booking_id": i}},
        )
        for i in range(20)
    ]
    records = [
        stack.api.post("/v1/records/contact", json={"id": f"c{i}", "data": {"n": i}})
        for i in range(20)
    ]
    answers = await asyncio.gather(*events, *records)
    assert [a.status_code for a in answers] == [202] * 20 + [201] * 20, [
        a.text for a in answers if a.status_code >= 300
    ]
    for answer in answers[:20]:
        [run] = answer.json()["runs"]
        await stack.wait_run(run["id"], lambda r: r["status"] == "completed")
