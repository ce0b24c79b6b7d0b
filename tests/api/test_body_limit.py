"""Every route bounds its request body: 413 with the limit, and nothing of the request kept."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from api.deps import DEFAULT_MAX_BODY_BYTES
from tests.api.conftest import Stack, problem

EVENT_TYPE = "limit.tested"


def oversized_batch() -> bytes:
    item = {"type": EVENT_TYPE, "data": {"note": "x" * 10_000}}
    count = DEFAULT_MAX_BODY_BYTES // 10_000 + 5
    return json.dumps([item] * count).encode()


async def test_a_declared_oversized_body_is_refused_before_it_is_read(stack: Stack) -> None:
    response = await stack.api.post(
        "/v1/events", content=oversized_batch(), headers={"content-type": "application/json"}
    )
    body = problem(response, 413)
    assert str(DEFAULT_MAX_BODY_BYTES) in body["detail"]
    runs = await stack.api.get("/v1/runs")
    assert runs.json()["items"] == []


async def test_a_chunked_oversized_body_is_refused_as_it_arrives(stack: Stack) -> None:
    payload = oversized_batch()

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: sent chunked
        for start in range(0, len(payload), 64_000):
            yield payload[start : start + 64_000]

    response = await stack.api.post(
        "/v1/records/contact", content=chunks(), headers={"content-type": "application/json"}
    )
    problem(response, 413)
    assert (await stack.api.get("/v1/records/contact")).json()["items"] == []


async def test_bodies_under_the_limit_are_read_as_before(stack: Stack) -> None:
    created = await stack.api.post("/v1/records/contact", json={"id": "c1", "data": {"n": 1}})
    assert created.status_code == 201, created.text
