"""HttpCaller against a recording HTTP server on loopback, with a real httpx client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from activities.errors import PermanentDeliveryError, TransientDeliveryError
from activities.http import HttpCaller, encode_json
from activities.outbound import LOOPBACK_ALLOW, OutboundPolicy
from tests.helpers.peers import LOOPBACK, RecordingHttpServer, unused_port


@pytest.fixture
def server() -> Iterator[RecordingHttpServer]:
    with RecordingHttpServer() as recording_server:
        yield recording_server


@pytest.fixture
async def caller() -> AsyncIterator[HttpCaller]:
    # trust_env=False: a proxy from the environment must not intercept loopback calls.
    async with httpx.AsyncClient(trust_env=False) as client:
        yield HttpCaller(
            client,
            max_response_bytes=1_000,
            policy=OutboundPolicy.from_setting(LOOPBACK_ALLOW),
        )


async def test_json_post_carries_headers_query_body_and_idempotency_key(
    server: RecordingHttpServer, caller: HttpCaller
) -> None:
    server.script(201, {"id": 7}, headers={"Location": "/things/7", "Set-Cookie": "s=1"})

    result = await caller.request(
        method="post",
        url=server.url("/hooks/booking"),
        headers={"X-Signature": "abc"},
        query={"source": "relay", "page": 2, "skip": None},
        json_body={"name": "Ann", "n": [1, 2]},
        idempotency_key="run-1.step-3",
    )

    assert result == {
        "status": 201,
        "headers": {
            "content-type": "application/json",
            "content-length": "9",
            "location": "/things/7",
        },
        "json": {"id": 7},
        "text": None,
        "truncated": False,
    }
    [request] = server.requests
    assert (request.method, request.path) == ("POST", "/hooks/booking")
    assert request.query == {"source": ["relay"], "page": ["2"]}
    assert request.headers["x-signature"] == "abc"
    assert request.headers["idempotency-key"] == "run-1.step-3"
    assert request.headers["content-type"] == "application/json"
    assert request.body == encode_json({"name": "Ann", "n": [1, 2]})


async def test_caller_supplied_idempotency_key_wins(
    server: RecordingHttpServer, caller: HttpCaller
) -> None:
    await caller.request(
        method="GET", url=server.url(), headers={"idempotency-key": "mine"}, idempotency_key="k"
    )

    assert server.requests[0].headers["idempotency-key"] == "mine"


async def test_non_json_body_is_returned_as_text(
    server: RecordingHttpServer, caller: HttpCaller
) -> None:
    server.script(200, raw=b"plain ok", headers={"Content-Type": "text/plain; charset=utf-8"})

    result = await caller.request(method="GET", url=server.url())

    assert (result["json"], result["text"], result["truncated"]) == (None, "plain ok", False)


async def test_oversized_response_is_truncated_at_the_cap(
    server: RecordingHttpServer, caller: HttpCaller
) -> None:
    server.script(200, raw=b"x" * 50_000, headers={"Content-Type": "application/json"})

    result = await caller.request(method="GET", url=server.url())

    assert result["truncated"] is True
    assert result["json"] is None
    assert result["text"] == "x" * 1_000


@pytest.mark.parametrize("status", [500, 503, 429, 408])
async def test_retryable_statuses_are_transient(
    server: RecordingHttpServer, caller: HttpCaller, status: int
) -> None:
    server.script(status, {"error": "secret detail"})

    with pytest.raises(TransientDeliveryError) as caught:
        await caller.request(method="POST", url=server.url("/private/path"), json_body={})

    assert caught.value.kind == f"http_{status}"
    assert str(caught.value) == f"http_{status}: POST {LOOPBACK} answered HTTP {status}"


@pytest.mark.parametrize("status", [400, 401, 404, 422])
async def test_client_errors_are_permanent(
    server: RecordingHttpServer, caller: HttpCaller, status: int
) -> None:
    server.script(status, {"error": "nope"})

    with pytest.raises(PermanentDeliveryError) as caught:
        await caller.request(method="GET", url=server.url("/missing"))

    assert caught.value.kind == f"http_{status}"


async def test_redirect_is_a_success_with_location(
    server: RecordingHttpServer, caller: HttpCaller
) -> None:
    server.script(302, {}, headers={"Location": "https://example.com/next"})

    result = await caller.request(method="GET", url=server.url())

    assert (result["status"], result["headers"]["location"]) == (302, "https://example.com/next")


async def test_expect_list_overrides_default_classification(
    server: RecordingHttpServer, caller: HttpCaller
) -> None:
    server.script(404, {"found": False})
    server.script(200, {"ok": True})
    server.script(503, {})

    missing = await caller.request(method="GET", url=server.url(), expect=[200, 404])
    with pytest.raises(PermanentDeliveryError, match="http_200"):
        await caller.request(method="GET", url=server.url(), expect=[201])
    with pytest.raises(TransientDeliveryError, match="http_503"):
        await caller.request(method="GET", url=server.url(), expect=[201])

    assert missing["json"] == {"found": False}


async def test_slow_endpoint_times_out_transiently(
    server: RecordingHttpServer, caller: HttpCaller
) -> None:
    server.script(200, {}, delay=5.0)

    with pytest.raises(TransientDeliveryError) as caught:
        await caller.request(method="GET", url=server.url(), timeout=0.2)

    assert caught.value.kind == "timeout"


async def test_connection_refused_is_transient_network(caller: HttpCaller) -> None:
    with pytest.raises(TransientDeliveryError) as caught:
        await caller.request(method="GET", url=f"http://{LOOPBACK}:{unused_port()}/")

    assert caught.value.kind == "network"


async def test_head_request_has_no_body(server: RecordingHttpServer, caller: HttpCaller) -> None:
    result = await caller.request(method="HEAD", url=server.url())

    assert (result["status"], result["json"], result["text"]) == (200, None, "")


@pytest.mark.parametrize(
    ("method", "url", "kind"),
    [
        ("TRACE", "http://example.com/", "invalid_method"),
        ("GET", "ftp://example.com/file", "invalid_url"),
        ("GET", "file:///etc/passwd", "invalid_url"),
        ("GET", "not a url", "invalid_url"),
    ],
)
async def test_bad_method_or_url_is_permanent_without_a_request(
    caller: HttpCaller, method: str, url: str, kind: str
) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        await caller.request(method=method, url=url)

    assert caught.value.kind == kind


async def test_unserialisable_body_is_permanent(caller: HttpCaller) -> None:
    with pytest.raises(PermanentDeliveryError, match="invalid_body"):
        await caller.request(method="POST", url="http://example.com/", json_body={"x": object()})


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({"X-Key": "abc\nInjected: 1"}, "header X-Key holds a character HTTP cannot carry"),
        ({"X-Key": "nul\x00"}, "header X-Key holds a character HTTP cannot carry"),
        ({"X-Key": "café"}, "header X-Key holds a character HTTP cannot carry"),
        ({"Bad Name": "v"}, "a header name is not a valid token"),
    ],
)
async def test_a_header_http_cannot_carry_is_permanent_without_quoting_it(
    server: RecordingHttpServer, caller: HttpCaller, headers: dict[str, str], detail: str
) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        await caller.request(method="GET", url=server.url(), headers=headers)

    assert (caught.value.kind, caught.value.detail) == ("invalid_header", detail)
    assert server.requests == []
