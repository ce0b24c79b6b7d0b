"""Nothing assumes one process: two ``relay api`` and two ``relay worker`` processes (as
``benchmarks.end_to_end --apis 2 --workers 2`` runs them) on one database keep an event to one
run, a rate limit to its count, and route an event posted to one API to a run waiting for it
that the other API started."""

from __future__ import annotations

import asyncio
import math
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from temporalio.client import Client, ScheduleOverlapPolicy

from benchmarks.stack import Stack, stack_database
from definitions.chain import DEFAULT_MAX_CHAIN_DEPTH
from storage.db import make_engine, session_scope, upgrade
from storage.tenants import create_tenant
from tests.api.test_chain_depth import flip
from tests.helpers.polling import eventually


class TwoOfEach:
    def __init__(self, stack: Stack, http: httpx.AsyncClient, key: str) -> None:
        self.stack = stack
        self.http = http
        self.auth = {"Authorization": f"Bearer {key}"}

    async def active(self, definition: dict[str, Any]) -> str:
        api = self.stack.api_urls[0]
        created = await self.http.post(f"{api}/v1/workflows", json=definition, headers=self.auth)
        assert created.status_code == 201, created.text
        workflow_id: str = created.json()["id"]
        activated = await self.http.post(
            f"{api}/v1/workflows/{workflow_id}/activate", headers=self.auth
        )
        assert activated.status_code == 200, activated.text
        return workflow_id

    async def post(self, api: int, event: dict[str, Any]) -> dict[str, Any]:
        answer = await self.http.post(
            f"{self.stack.api_urls[api]}/v1/events", json=event, headers=self.auth, timeout=60
        )
        assert answer.status_code == 202, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def get(self, api: int, path: str) -> dict[str, Any]:
        answer = await self.http.get(f"{self.stack.api_urls[api]}{path}", headers=self.auth)
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


@pytest.fixture
async def two(database_url: str) -> AsyncIterator[TwoOfEach]:
    with (
        tempfile.TemporaryDirectory(prefix="relay-two-") as tmp,
        stack_database(database_url, Path(tmp)) as url,
    ):
        upgrade(url)
        engine = make_engine(url)
        with session_scope(engine) as session:
            _, key = create_tenant(session, "two of each")
        engine.dispose()
        stack = Stack(Path(tmp), url, apis=2)
        try:
            await asyncio.to_thread(_start, stack)
            async with httpx.AsyncClient() as http:
                yield TwoOfEach(stack, http, key)
        finally:
            await asyncio.to_thread(stack.stop)


def _start(stack: Stack) -> None:
    stack.start_temporal()
    stack.start_worker()
    stack.start_worker()
    stack.start_api(0)
    stack.start_api(1)


async def test_two_apis_and_two_workers_dedupe_limit_and_route_events(two: TwoOfEach) -> None:
    # Dedupe: one event id posted ten times at once, to both APIs, starts one run.
    await two.active(
        {
            "name": "Dedupe",
            "trigger": {"type": "event", "event": "order.placed"},
            "steps": [{"id": "mark", "type": "set", "values": {"n": "{{ n }}"}}],
        }
    )
    event = {"type": "order.placed", "id": "evt-once", "data": {"n": 1}}
    answers = await asyncio.gather(*(two.post(i % 2, event) for i in range(10)))
    assert {run["id"] for a in answers for run in a["runs"]} == {answers[0]["runs"][0]["id"]}
    assert sorted(run["status"] for a in answers for run in a["runs"]).count("started") == 1

    # A rate limit counts the runs both APIs start.
    limited = await two.active(
        {
            "name": "Limited",
            "trigger": {
                "type": "event",
                "event": "lead.scored",
                "rate_limit": {"max": 3, "per": "P1D", "over": "drop"},
            },
            "steps": [{"id": "mark", "type": "set", "values": {"n": "{{ n }}"}}],
        }
    )
    leads = [{"type": "lead.scored", "id": f"evt-lead-{i}", "data": {"n": i}} for i in range(8)]
    answers = await asyncio.gather(*(two.post(i % 2, e) for i, e in enumerate(leads)))
    assert sum(len(a["runs"]) for a in answers) == 3
    runs = await two.get(1, f"/v1/workflows/{limited}/runs")
    assert len(runs["items"]) == 3

    # A run one API started waits for an event the other API receives; a worker resumes it.
    await two.active(
        {
            "name": "Paid",
            "trigger": {"type": "event", "event": "booking.created", "entity": "{{ booking }}"},
            "steps": [
                {"id": "paid", "type": "wait_for_event", "event": "booking.paid", "timeout": "P1D"},
                {"id": "thanks", "type": "set", "values": {"paid": "yes"}},
            ],
        }
    )
    booked = await two.post(
        0, {"type": "booking.created", "id": "evt-b1", "data": {"booking": "b1"}}
    )
    run_id = booked["runs"][0]["id"]

    async def status_is(status: str) -> bool:
        return (await two.get(1, f"/v1/runs/{run_id}"))["status"] == status

    await eventually(lambda: status_is("waiting"), timeout=60, what="the run waits")
    paid = await two.post(1, {"type": "booking.paid", "id": "evt-p1", "entity": "b1"})
    assert paid["signalled"] == [run_id]
    await eventually(lambda: status_is("completed"), timeout=60, what="the run completes")
    steps = (await two.get(0, f"/v1/runs/{run_id}"))["steps"]
    assert [(s["node_id"], s["status"]) for s in steps] == [
        ("paid", "completed"),
        ("thanks", "completed"),
    ]


async def test_two_apis_and_two_workers_stop_a_chain_at_its_depth_and_fire_a_schedule_once(
    two: TwoOfEach,
) -> None:
    # Two workflows flipping one contact start each other through record changes, whichever
    # worker runs them and whichever worker's recoverer emits the change: the chain stops at
    # its depth, each depth once.
    await two.active(flip("Ping", "ping", "pong"))
    await two.active(flip("Pong", "pong", "ping"))
    api = two.stack.api_urls
    created = await two.http.post(
        f"{api[1]}/v1/records/contact",
        json={"id": "c1", "data": {"stage": "new"}},
        headers=two.auth,
    )
    assert created.status_code == 201, created.text
    patched = await two.http.patch(
        f"{api[0]}/v1/records/contact/c1", json={"data": {"stage": "ping"}}, headers=two.auth
    )
    assert patched.status_code == 200, patched.text

    async def refused_deeper() -> list[dict[str, Any]] | None:
        events = (await two.get(1, "/v1/events?type=contact.updated&limit=200"))["items"]
        outcomes = [o["outcome"] for e in events for o in e["outcomes"]]
        return events if "chain_depth_exceeded" in outcomes else None

    events = await eventually(refused_deeper, timeout=90, what="the change past the depth refused")
    runs = (await two.get(0, "/v1/runs?entity=contact:c1&limit=100"))["items"]

    async def chain_finished() -> list[dict[str, Any]] | None:
        details = [await two.get(i % 2, f"/v1/runs/{r['id']}") for i, r in enumerate(runs)]
        return details if all(d["status"] == "completed" for d in details) else None

    details = await eventually(chain_finished, timeout=60, what="every run of the chain done")
    depths = sorted(d["trigger"]["chain"]["depth"] for d in details)
    assert depths == list(range(1, DEFAULT_MAX_CHAIN_DEPTH + 1)), (events, details)

    # A schedule fired twice starts two runs, each once, whichever worker takes them.
    me = await two.get(0, "/v1/me")
    scheduled = await two.active(
        {
            "name": "Hourly",
            "trigger": {"type": "schedule", "every": "PT1H"},
            "steps": [{"id": "mark", "type": "set", "values": {"at": "{{ scheduled_at }}"}}],
        }
    )
    temporal = await Client.connect(f"127.0.0.1:{two.stack.temporal_port}")
    schedule = temporal.get_schedule_handle(f"relay:{me['tenant_id']}:{scheduled}")

    async def completed_runs(count: int) -> list[dict[str, Any]] | None:
        items = (await two.get(1, f"/v1/runs?workflow_id={scheduled}"))["items"]
        done = [r for r in items if r["status"] == "completed"]
        return items if len(done) == count else None

    last_fire = 0.0
    for fired in (1, 2):
        # A run's id is the schedule's and its fire's second: fire the next in a later second.
        await asyncio.sleep(max(0.0, math.floor(last_fire) + 1.1 - time.time()))
        last_fire = time.time()
        # Allow overlap: the scheduler may not have seen the first run close yet.
        await schedule.trigger(overlap=ScheduleOverlapPolicy.ALLOW_ALL)
        items = await eventually(
            lambda n=fired: completed_runs(n),
            timeout=60,
            what=f"run {fired} done",  # type: ignore[misc]
        )
    assert len(items) == 2
    assert len({r["trigger"]["scheduled_at"] for r in items}) == 2
