"""A response is sent only after its transaction committed (SPEC §3): a client that creates
something and reads it straight back, over a real socket, always finds it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import event
from sqlmodel import Session

from tests.api.conftest import Stack
from tests.helpers.serving import serving

DOCUMENT = {
    "name": "Read back",
    "trigger": {"type": "event", "event": "booking.created"},
    "steps": [
        {"id": "hello", "type": "send_email", "to": "a@example.com", "subject": "Hi", "body": "hi"}
    ],
}


@pytest.fixture
def slow_commits() -> Iterator[None]:
    """Every commit takes a moment: were the commit to follow the response, the client's next
    request would arrive before it, every time, instead of now and then under load."""

    def wrote(session: Session, _context: Any) -> None:
        session.info["wrote"] = True

    def pause(session: Session) -> None:
        if session.info.pop("wrote", False):  # read-only sessions (the key check) go at speed
            time.sleep(0.2)

    event.listen(Session, "after_flush", wrote)
    event.listen(Session, "before_commit", pause)
    yield
    event.remove(Session, "before_commit", pause)
    event.remove(Session, "after_flush", wrote)


async def test_a_created_workflow_is_readable_as_soon_as_the_response_arrives(
    stack: Stack, slow_commits: None
) -> None:
    async with serving(stack.app) as url:
        headers = {"Authorization": stack.api.headers["authorization"]}
        async with httpx.AsyncClient(base_url=url, headers=headers) as client:
            for _ in range(5):
                created = await client.post("/v1/workflows", json=DOCUMENT)
                assert created.status_code == 201, created.text
                read = await client.get(f"/v1/workflows/{created.json()['id']}")
                assert read.status_code == 200, read.text
                assert read.json()["name"] == "Read back"
