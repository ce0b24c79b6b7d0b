"""API memory under bursts of events: the resident size of an API process after each burst,
which must level off (issue 13, item 10).

    .venv/bin/python -m benchmarks.api_memory [--rounds 5] [--events 500] [--concurrency 20]

One process: a Temporal dev server (a child) and the API over ASGI in this process (so its
resident size is this process's; no worker runs here, so nothing else grows with it), SQLite.
Each round posts ``--events`` events, ``--concurrency`` at a time, half of them single and half
in lists of 10, to three active workflows that each start a run, then as many record changes;
it prints the resident size and the requests per second.

Measured on a shared 2-core machine (load 25-30), ``--rounds 4 --events 200`` (310 requests,
300 runs started per round): 152 MB at the start, then 176, 177, 181, 181 MB — it levels off;
5-9 requests/s under that load. With the collector set as ``relay api`` sets it
(``worker.heap``), ``--rounds 4 --events 300`` on the idle machine, twice: 154 MB at the start,
then 184, 190, 192, 193 MB; and 145, then 172, 181, 184, 182 MB (181 MB after the fourth round
with Python's defaults).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time
import uuid
from typing import Any

import httpx
from temporalio.client import Client

from api.app import create_app
from api.deps import ApiDeps
from benchmarks.scratch import scratch_stack
from benchmarks.worker_memory import resident_mb
from worker.heap import API_YOUNG_THRESHOLD, settle


def _workflow(index: int) -> dict[str, Any]:
    return {
        "name": f"Listener {index}",
        "trigger": {"type": "event", "event": "burst.event", "entity": "{{ n }}"},
        "steps": [{"id": "pause", "type": "wait", "duration": "P1D"}],
    }


async def _burst(api: httpx.AsyncClient, events: int, concurrency: int) -> int:
    gate = asyncio.Semaphore(concurrency)

    def event(n: int) -> dict[str, Any]:
        return {"type": "burst.event", "id": f"e-{uuid.uuid4().hex}", "data": {"n": n}}

    async def send(method: str, path: str, body: Any, status: int) -> None:
        async with gate:
            response = await api.request(method, path, json=body)
            assert response.status_code == status, response.text

    calls = [send("POST", "/v1/events", event(n), 202) for n in range(events // 2)]
    calls += [
        send("POST", "/v1/events", [event(n) for n in range(10)], 202) for _ in range(events // 20)
    ]
    calls += [
        send("POST", "/v1/records/contact", {"id": f"c-{uuid.uuid4().hex}", "data": {}}, 201)
        for _ in range(events)
    ]
    await asyncio.gather(*calls)
    return len(calls)


async def main(rounds: int, events: int, concurrency: int) -> None:
    async with scratch_stack("burst") as scratch:

        async def connect() -> Client:
            return scratch.env.client

        app = create_app(
            ApiDeps(engine=scratch.engine, connect_temporal=connect, task_queue="idle")
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app),
            base_url="http://relay.bench",
            headers={"Authorization": f"Bearer {scratch.key}"},
            timeout=120,
        ) as api:
            for index in range(3):
                created = (await api.post("/v1/workflows", json=_workflow(index))).json()
                await api.post(f"/v1/workflows/{created['id']}/activate")
            settle(API_YOUNG_THRESHOLD)  # as ``relay api`` does before it serves
            print(f"start      {resident_mb():7.1f} MB", flush=True)
            for number in range(1, rounds + 1):
                began = time.perf_counter()
                requests = await _burst(api, events, concurrency)
                rate = requests / (time.perf_counter() - began)
                gc.collect()
                print(f"round {number:3}  {resident_mb():7.1f} MB  {rate:6.1f} req/s", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.events, args.concurrency))
