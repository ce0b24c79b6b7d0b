"""The HMAC signature on outbound HTTP, checked the way a receiver checks it."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from activities.http import HttpCaller, encode_json, http_session
from activities.outbound import LOOPBACK_ALLOW, OutboundPolicy
from activities.signing import signature, verify
from tests.helpers.peers import RecordingHttpServer

SECRET = "whsec_5b1f0c"


@pytest.fixture
def server() -> Iterator[RecordingHttpServer]:
    with RecordingHttpServer() as recording_server:
        yield recording_server


@pytest.fixture
async def caller() -> AsyncIterator[HttpCaller]:
    async with http_session() as client:
        yield HttpCaller(client, policy=OutboundPolicy.from_setting(LOOPBACK_ALLOW))


async def test_receiver_recomputes_the_signature_over_timestamp_and_exact_body(
    server: RecordingHttpServer, caller: HttpCaller
) -> None:
    body = {"event": "booking.created", "name": "Zoë", "n": [1, 2.5]}

    await caller.request(method="POST", url=server.url(), json_body=body, signing_secret=SECRET)

    [request] = server.requests
    timestamp = request.headers["x-relay-timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    # What a receiver writes, with nothing but the standard library:
    expected = hmac.new(
        SECRET.encode(), timestamp.encode() + b"." + request.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(request.headers["x-relay-signature"], f"v1={expected}")
    assert request.body == encode_json(body)
    assert verify(SECRET, request.headers, request.body)


async def test_a_request_without_body_is_signed_over_the_empty_body(
    server: RecordingHttpServer, caller: HttpCaller
) -> None:
    await caller.request(method="GET", url=server.url(), signing_secret=SECRET)

    [request] = server.requests
    assert verify(SECRET, request.headers, b"")


async def test_no_signing_secret_means_no_signature_headers(
    server: RecordingHttpServer, caller: HttpCaller
) -> None:
    await caller.request(method="POST", url=server.url(), json_body={})

    assert "x-relay-signature" not in server.requests[0].headers


def test_verify_refuses_tampering_other_secrets_and_stale_timestamps() -> None:
    now = 1_800_000_000
    body = b'{"a":1}'
    headers = {"X-Relay-Timestamp": str(now), "X-Relay-Signature": signature(SECRET, now, body)}

    assert verify(SECRET, headers, body, now=now + 10)
    assert not verify(SECRET, headers, b'{"a":2}', now=now)
    assert not verify("another", headers, body, now=now)
    assert not verify(SECRET, headers, body, now=now + 301)
    assert not verify(SECRET, {**headers, "X-Relay-Timestamp": str(now + 1)}, body, now=now)
    assert not verify(SECRET, {"X-Relay-Signature": headers["X-Relay-Signature"]}, body, now=now)
