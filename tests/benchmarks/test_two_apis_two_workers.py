"""Nothing assumes one process: two ``relay api`` and two ``relay worker`` processes (as
``benchmarks.end_to_end --apis 2 --workers 2`` runs them) on one database keep an event to one
run, a rate limit to its count, route an event posted to one API to a run waiting for it
that the other API started, start one run per schedule firing, and stop a chain of runs
starting each other at the chain depth."""

from __future__ import annotations

import asyncio
import tempfile
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
from tests.helpers.polling import eventually


class TwoOfEach:
    def __init__(self, stack: Stack, http: httpx.AsyncClient, key: str, tenant_id: str) -> None:
        self.stack = stack
        self.http = http
        self.auth = {"Authorization": f"Bearer {key}"}
        self.tenant_id = tenant_id

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

    async def get(self, api: int, path: str, **params: Any) -> dict[str, Any]:
        answer = await self.http.get(
            f"{self.stack.api_urls[api]}{path}", headers=self.auth, params=params
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body

    async def send(self, api: int, method: str, path: str, body: dict[str, Any]) -> None:
        answer = await self.http.request(
            method, f"{self.stack.api_urls[api]}{path}", json=body, headers=self.auth
        )
        assert answer.status_code in (200, 201), answer.text


@pytest.fixture
async def two(database_url: str) -> AsyncIterator[TwoOfEach]:
    with (
        tempfile.TemporaryDirectory(prefix="relay-two-") as tmp,
        stack_database(database_url, Path(tmp)) as url,
    ):
        upgrade(url)
        engine = make_engine(url)
        with session_scope(engine) as session:
            tenant, key = create_tenant(session, "two of each")
            tenant_id = tenant.id
        engine.dispose()
        stack = Stack(Path(tmp), url, apis=2)
        try:
            await asyncio.to_thread(_start, stack)
            async with httpx.AsyncClient() as http:
                yield TwoOfEach(stack, http, key, tenant_id)
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


def _flip(name: str, seen: str, set_to: str) -> dict[str, Any]:
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


async def test_two_apis_and_two_workers_fire_schedules_once_and_stop_chains(
    two: TwoOfEach,
) -> None:
    # A schedule fired three times starts three runs, whichever worker takes them.
    scheduled = await two.active(
        {
            "name": "Hourly",
            "trigger": {"type": "schedule", "every": "PT1H"},
            "steps": [{"id": "mark", "type": "set", "values": {"at": "{{ scheduled_at }}"}}],
        }
    )
    client = await Client.connect(f"127.0.0.1:{two.stack.temporal_port}")
    schedule = client.get_schedule_handle(f"relay:{two.tenant_id}:{scheduled}")

    async def runs_of(workflow_id: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = (
            await two.get(1, "/v1/runs", workflow_id=workflow_id, limit=100)
        )["items"]
        return items

    for fired in range(1, 4):
        await schedule.trigger(overlap=ScheduleOverlapPolicy.ALLOW_ALL)

        async def ran(count: int = fired) -> bool:
            runs = await runs_of(scheduled)
            return len(runs) >= count and all(r["status"] == "completed" for r in runs)

        await eventually(ran, timeout=60, what=f"schedule firing {fired} ran")
        await asyncio.sleep(1.1)  # a firing's run id carries its second
    runs = await runs_of(scheduled)
    assert len(runs) == 3
    assert len({r["trigger"]["scheduled_at"] for r in runs}) == 3

    # Two workflows updating one contact start each other, over both workers' record actions,
    # until the chain depth stops them.
    await two.active(_flip("Ping", "ping", "pong"))
    await two.active(_flip("Pong", "pong", "ping"))
    await two.send(0, "POST", "/v1/records/contact", {"id": "c1", "data": {"stage": "new"}})
    await two.send(1, "PATCH", "/v1/records/contact/c1", {"data": {"stage": "ping"}})

    async def chain() -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = (
            await two.get(0, "/v1/runs", entity="contact:c1", limit=100)
        )["items"]
        return items

    async def chain_ended() -> bool:
        runs = await chain()
        return len(runs) >= DEFAULT_MAX_CHAIN_DEPTH and all(
            r["status"] not in ("running", "waiting") for r in runs
        )

    await eventually(chain_ended, timeout=120, what="the chain ends")
    await asyncio.sleep(2)  # nothing more starts
    runs = await chain()
    assert len(runs) == DEFAULT_MAX_CHAIN_DEPTH
    assert {r["status"] for r in runs} == {"completed"}
    details = [await two.get(1, f"/v1/runs/{r['id']}") for r in runs]
    depths = sorted(d["trigger"]["chain"]["depth"] for d in details)
    assert depths == list(range(1, DEFAULT_MAX_CHAIN_DEPTH + 1))
