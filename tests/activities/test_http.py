"""HttpCaller against a recording HTTP server on loopback, with a real aiohttp session."""

from __future__ import annotations

import asyncio
import base64
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from activities import effects
from activities.errors import PermanentDeliveryError, TransientDeliveryError
from activities.http import (
    HttpCaller,
    blank_fields,
    blank_template_problem,
    empty_expressions,
    encode_json,
    http_session,
)
from activities.outbound import LOOPBACK_ALLOW, OutboundPolicy
from storage.db import session_scope
from storage.models import Delivery, Run
from tests.helpers.db import deliveries_of, steps_of
from tests.helpers.peers import LOOPBACK, RecordingHttpServer, unused_port
from tests.helpers.temporal import relay_worker, run_input, start_run


@pytest.fixture
def server() -> Iterator[RecordingHttpServer]:
    with RecordingHttpServer() as recording_server:
        yield recording_server


@pytest.fixture
async def caller() -> AsyncIterator[HttpCaller]:
    async with http_session() as client:
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


async def test_a_cookie_an_answer_sets_is_never_sent_with_a_later_request(
    server: RecordingHttpServer, caller: HttpCaller
) -> None:
    # The worker's session serves every run of every tenant: a cookie one receiver set for
    # one run must not ride along on another's request (httpx's client sent it back).
    server.script(200, {}, headers={"Set-Cookie": "session=tenant-a; Path=/"})

    await caller.request(method="GET", url=server.url("/a"))
    await caller.request(method="GET", url=server.url("/b"))

    assert "cookie" not in server.requests[1].headers


async def test_a_long_response_header_is_accepted(
    server: RecordingHttpServer, caller: HttpCaller
) -> None:
    server.script(201, {"ok": True}, headers={"Content-Security-Policy": "a" * 20_000})

    result = await caller.request(method="POST", url=server.url(), json_body={})

    assert (result["status"], result["json"]) == (201, {"ok": True})


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

    # Sent and unanswered: the receiver may have acted on it.
    assert (caught.value.kind, caught.value.maybe_delivered) == ("timeout", True)


async def test_connection_refused_is_transient_network(caller: HttpCaller) -> None:
    with pytest.raises(TransientDeliveryError) as caught:
        await caller.request(method="GET", url=f"http://{LOOPBACK}:{unused_port()}/")

    assert (caught.value.kind, caught.value.maybe_delivered) == ("network", False)


async def test_an_answer_that_is_not_http_is_a_network_error_after_sending(
    caller: HttpCaller,
) -> None:
    async def answer_garbage(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"this is not HTTP\r\n\r\n")
        await writer.drain()
        writer.close()

    peer = await asyncio.start_server(answer_garbage, LOOPBACK, 0)
    async with peer:
        port = peer.sockets[0].getsockname()[1]
        with pytest.raises(TransientDeliveryError) as caught:
            await caller.request(method="POST", url=f"http://{LOOPBACK}:{port}/", json_body={})

    assert (caught.value.kind, caught.value.maybe_delivered) == ("network", True)


@pytest.mark.parametrize("method", ["PUT", "DELETE", "POST"])
async def test_a_request_whose_connection_drops_unanswered_is_not_sent_again(
    caller: HttpCaller, method: str
) -> None:
    received: list[bytes] = []

    async def read_then_hang_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        received.append(await reader.readuntil(b"\r\n\r\n"))
        writer.close()

    peer = await asyncio.start_server(read_then_hang_up, LOOPBACK, 0)
    async with peer:
        port = peer.sockets[0].getsockname()[1]
        with pytest.raises(TransientDeliveryError) as caught:
            await caller.request(method=method, url=f"http://{LOOPBACK}:{port}/", json_body={})

    assert (caught.value.kind, caught.value.maybe_delivered) == ("network", True)
    assert len(received) == 1


async def test_a_body_its_content_encoding_cannot_decode_fails_for_good(
    server: RecordingHttpServer, caller: HttpCaller
) -> None:
    server.script(200, raw=b"not gzip at all", headers={"Content-Encoding": "gzip"})

    with pytest.raises(PermanentDeliveryError) as caught:
        await caller.request(method="GET", url=server.url())

    assert caught.value.kind == "bad_response"


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


async def test_form_body_is_urlencoded_with_repeated_fields(
    server: RecordingHttpServer, caller: HttpCaller
) -> None:
    await caller.request(
        method="POST",
        url=server.url(),
        form_body={"name": "Ann Lee", "tag": ["a", "b"], "vip": True, "skip": None},
    )

    [request] = server.requests
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.form == {"name": ["Ann Lee"], "tag": ["a", "b"], "vip": ["true"]}


# ------------------------------------------------------------------------- as a Relay step

FAST = {"initial_interval": 0.05, "max_interval": 0.1}


async def run_steps(
    time_env: WorkflowEnvironment, engine: Engine, steps: list[dict[str, Any]],
    data: dict[str, Any], run_id: str | None = None,
) -> str:  # fmt: skip
    document = {"name": "Call", "trigger": {"type": "event", "event": "booking.created"},
                "steps": steps}  # fmt: skip
    async with relay_worker(time_env.client, engine) as worker:
        handle = await start_run(time_env.client, worker, run_input(document, data), run_id)
        await handle.result()
    return handle.id


async def test_step_sends_auth_form_query_and_captures_the_response_as_output(
    time_env: WorkflowEnvironment, engine: Engine, server: RecordingHttpServer
) -> None:
    server.script(201, {"id": 7, "ok": True}, headers={"X-Request-Id": "r1", "Set-Cookie": "s=1"})
    step = {"id": "crm", "type": "http_request", "method": "PUT", "url": "{{ url }}/leads",
            "query": {"source": "relay"}, "auth": {"type": "basic", "username": "api",
            "password": "pw"}, "body_format": "form", "body": {"name": "{{ name }}"},
            "expect": [201]}  # fmt: skip

    run_id = await run_steps(time_env, engine, [step], {"url": server.base_url, "name": "Ann"})

    [request] = server.requests
    assert (request.method, request.path, request.query) == ("PUT", "/leads", {"source": ["relay"]})
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"api:pw").decode()
    assert request.form == {"name": ["Ann"]}
    assert request.headers["idempotency-key"] == f"{run_id}:crm"
    output = steps_of(engine, run_id)["crm"].output
    assert output["status"] == 201
    assert output["json"] == {"id": 7, "ok": True}
    assert output["headers"]["x-request-id"] == "r1"
    assert "set-cookie" not in output["headers"]


async def test_bearer_token_and_a_status_outside_expect_is_a_permanent_failure(
    time_env: WorkflowEnvironment, engine: Engine, server: RecordingHttpServer
) -> None:
    server.script(200, {"queued": False})
    step = {"id": "api", "type": "webhook", "url": "{{ url }}", "expect": [202],
            "auth": {"type": "bearer", "token": "tok-1"}, "retry": FAST}  # fmt: skip

    run_id = await run_steps(time_env, engine, [step], {"url": server.base_url})

    assert len(server.requests) == 1  # not retried
    assert server.requests[0].headers["authorization"] == "Bearer tok-1"
    failed = steps_of(engine, run_id)["api"]
    assert (failed.status, failed.error["type"], failed.error["retryable"]) == (  # type: ignore[index]
        "failed", "http_200", False,
    )  # fmt: skip


async def test_scheduling_webhook_preset_posts_the_documents_payload(
    time_env: WorkflowEnvironment, engine: Engine, server: RecordingHttpServer
) -> None:
    step = {"id": "crm", "name": "Tell the CRM", "action_type": "webhook",
            "webhook_url": "{{ url }}/hooks", "preset": "scheduling_webhook",
            "webhook_data": {"source": "scheduler"}}  # fmt: skip
    data = {"url": server.base_url, "booking_id": "bk_1", "invitee_email": "ann@example.com"}

    run_id = await run_steps(time_env, engine, [step], data)

    payload = server.requests[0].json
    assert payload["action"] == "Tell the CRM"
    assert payload["workflow_name"] == "Call"
    assert payload["run_id"] == run_id
    assert payload["event_type"] == "booking.created"
    assert (payload["booking_id"], payload["invitee_email"]) == ("bk_1", "ann@example.com")
    assert payload["source"] == "scheduler"
    assert payload["timestamp"].endswith("Z")


async def test_a_request_received_but_answered_after_the_timeout_is_not_sent_again(
    time_env: WorkflowEnvironment, engine: Engine, server: RecordingHttpServer
) -> None:
    server.script(200, {}, delay=3)  # received, but answered after the step's timeout
    step = {"id": "hook", "type": "http_request", "url": "{{ url }}", "timeout": "1s",
            "retry": FAST}  # fmt: skip

    run_id = await run_steps(time_env, engine, [step], {"url": server.base_url})

    assert [r.headers["idempotency-key"] for r in server.requests] == [f"{run_id}:hook"]
    assert [d.status for d in deliveries_of(engine, run_id)] == ["unknown"]
    hook = steps_of(engine, run_id)["hook"]
    # Which gives up first depends on the machine's load: the client's read timeout (timeout)
    # or Temporal's, whose retry then finds the key unknown (outcome_unknown). Never a resend.
    assert hook.status == "failed"
    assert hook.error["type"] in ("timeout", "outcome_unknown")  # type: ignore[index]


async def test_a_request_answered_after_the_timeout_is_sent_again_when_the_receiver_dedupes(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    with RecordingHttpServer(dedupes=True) as server:
        server.script(200, {"id": 7}, delay=3)  # received, answered after the step's timeout
        step = {"id": "hook", "type": "http_request", "url": "{{ url }}", "timeout": "1s",
                "retry": FAST, "receiver_dedupes": True}  # fmt: skip

        run_id = await run_steps(time_env, engine, [step], {"url": server.base_url})

    # The retry sent the same key again; the receiver answered it with its first answer.
    key = f"{run_id}:hook"
    assert [r.headers["idempotency-key"] for r in server.requests] == [key, key]
    assert len(server.deduped) == 1
    [delivery] = deliveries_of(engine, run_id)
    assert (delivery.status, delivery.sends) == ("delivered", 2)
    hook = steps_of(engine, run_id)["hook"]
    assert (hook.status, hook.output["json"]) == ("completed", {"id": 7})
    with session_scope(engine) as session:
        assert session.get_one(Run, run_id).status == "completed"


async def test_an_attempt_timed_out_mid_send_is_not_sent_again_by_its_retries(
    dev_env: WorkflowEnvironment,
    engine: Engine,
    server: RecordingHttpServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A worker starved of CPU overruns its attempt: Temporal times the attempt out (and cancels
    # it at its next heartbeat) while the request is still with the receiver, and retries.
    monkeypatch.setattr(effects, "effect_budget", lambda timeout: timeout.total_seconds() + 6)
    server.script(200, {}, delay=15)  # still processing the first request meanwhile
    step = {"id": "hook", "type": "http_request", "url": "{{ url }}", "timeout": "1s",
            "retry": {"max_attempts": 20, "initial_interval": 0.5, "max_interval": 0.5}}  # fmt: skip

    run_id = await run_steps(dev_env, engine, [step], {"url": server.base_url})

    assert [r.headers["idempotency-key"] for r in server.requests] == [f"{run_id}:hook"]
    [delivery] = deliveries_of(engine, run_id)
    assert (delivery.status, delivery.summary) == ("unknown", "cancelled")
    hook = steps_of(engine, run_id)["hook"]
    assert (hook.status, hook.error["type"]) == ("failed", "outcome_unknown")  # type: ignore[index]


async def test_a_key_claimed_by_a_crashed_attempt_is_sent_once_its_claim_has_lapsed(
    time_env: WorkflowEnvironment, engine: Engine, server: RecordingHttpServer
) -> None:
    # An earlier attempt claimed the key, then its worker died: it renews the claim no more.
    run_id = _earlier_attempt(
        engine, status="sending", claimed_by="1:dead", claimed_until=datetime.now(UTC)
    )

    await run_steps(time_env, engine, [{"id": "hook", "type": "http_request", "url": "{{ url }}"}],
                    {"url": server.base_url}, run_id)  # fmt: skip

    assert [r.headers["idempotency-key"] for r in server.requests] == [f"{run_id}:hook"]
    assert [d.status for d in deliveries_of(engine, run_id)] == ["delivered"]
    assert steps_of(engine, run_id)["hook"].status == "completed"


@pytest.mark.parametrize("dedupes", [False, True])
async def test_a_key_lost_mid_send_is_sent_again_only_when_the_receiver_dedupes(
    time_env: WorkflowEnvironment, engine: Engine, server: RecordingHttpServer, dedupes: bool
) -> None:
    # An earlier attempt's request had begun to leave when its worker died (kill -9): the claim
    # stays sent, its lease lapsed. Whether the request arrived nobody can tell.
    run_id = _earlier_attempt(
        engine, status="sent", sends=1, claimed_by="1:dead", claimed_until=datetime.now(UTC)
    )
    step = {"id": "hook", "type": "http_request", "url": "{{ url }}", "receiver_dedupes": dedupes}

    await run_steps(time_env, engine, [step], {"url": server.base_url}, run_id)

    [delivery] = deliveries_of(engine, run_id)
    hook = steps_of(engine, run_id)["hook"]
    if dedupes:
        assert [r.headers["idempotency-key"] for r in server.requests] == [f"{run_id}:hook"]
        assert (delivery.status, delivery.sends) == ("delivered", 2)
        assert hook.status == "completed"
    else:
        assert server.requests == []
        assert (delivery.status, delivery.summary, delivery.sends) == (
            "unknown",
            "lost mid-send",
            1,
        )
        assert (hook.status, hook.error["type"]) == ("failed", "outcome_unknown")  # type: ignore[index]


@pytest.mark.parametrize("dedupes", [False, True])
async def test_a_key_already_delivered_is_not_sent_again(
    time_env: WorkflowEnvironment, engine: Engine, server: RecordingHttpServer, dedupes: bool
) -> None:
    # An earlier attempt delivered and recorded it, then lost its acknowledgement: adopted,
    # even when the receiver would deduplicate a resend.
    run_id = _earlier_attempt(
        engine, status="delivered", sends=1, receipt={"status": 200, "json": {"first": True}}
    )
    step = {"id": "hook", "type": "http_request", "url": "{{ url }}", "receiver_dedupes": dedupes}

    await run_steps(time_env, engine, [step], {"url": server.base_url}, run_id)

    assert server.requests == []
    assert steps_of(engine, run_id)["hook"].output == {"status": 200, "json": {"first": True}}


def _earlier_attempt(engine: Engine, **claim: Any) -> str:
    """A new run id whose step ``hook`` an earlier attempt claimed (as ``claim`` says)."""
    run_id = f"run_{uuid.uuid4().hex[:12]}"
    with session_scope(engine) as session:
        session.add(Delivery(tenant_id="t_test", idempotency_key=f"{run_id}:hook", run_id=run_id,
                             step_key="hook", channel="http", transport="http", **claim))  # fmt: skip
    return run_id


@pytest.mark.parametrize(
    ("url", "headers", "blank"),
    [
        ("https://api.example.com/hooks/1", {"X-Key": "k"}, []),
        ("", {}, ["url"]),
        ("   ", {}, ["url"]),
        ("/hooks/1", {}, ["url"]),
        ("https:///hooks/1", {}, ["url"]),
        ("https://.example.com/hooks", {}, ["url"]),
        ("https://api..example.com/hooks", {}, ["url"]),
        ("https://api.example.com/users//notify", {}, ["url"]),
        ("https://api.example.com/x", {"X-Key": "", "X-Other": "v", "X-Space": " "},
         ["headers.X-Key", "headers.X-Space"]),
    ],
)  # fmt: skip
def test_blank_fields_are_the_url_and_headers_a_template_may_have_emptied(
    url: str, headers: dict[str, str], blank: list[str]
) -> None:
    assert blank_fields(url, headers) == blank


@pytest.mark.parametrize(
    ("source", "rendered", "empty"),
    [
        ("{{ hook_url }}", "", ["hook_url"]),
        ("https://{{ tenant }}.example.com/x", "https://.example.com/x", ["tenant"]),
        ("https://api.example.com/users/{{ user.id }}/notify/{{ kind }}",
         "https://api.example.com/users//notify/sms", ["user.id"]),
        ("https://{{ host }}/{{ path }}", "https:///", ["host", "path"]),
        ("https://{{ host }}/x", "https://api.example.com/x", []),
        ("Bearer {{ token }}", "Bearer ", ["token"]),
        ("{% if a %}x{% endif %}", "", None),
        ("https://{{ host }}/x", "https://api.example.com/y", None),
    ],
)  # fmt: skip
def test_empty_expressions_are_found_between_the_templates_literal_text(
    source: str, rendered: str, empty: list[str] | None
) -> None:
    assert empty_expressions(source, rendered) == empty


def test_a_blank_template_problem_names_what_rendered_empty() -> None:
    assert blank_template_problem(
        "url", "https://{{ sub }}.example.com", "https://.example.com"
    ) == ("url rendered empty where its template reads {{ sub }}: the run has no value there")
    # Written so by the author, not a template's doing: the request goes as written.
    assert (
        blank_template_problem("url", "https://api.example.com//x", "https://api.example.com//x")
        is None
    )
    assert blank_template_problem("headers.X-Key", "{{ key }}", "") == (
        "headers.X-Key rendered empty where its template reads {{ key }}: the run has no value there"
    )
    # Without the step's template (a run of no stored version): what cannot be meant only.
    assert blank_template_problem("headers.X-Key", None, "") is not None
    assert blank_template_problem("url", None, "https://.example.com/") is not None
    assert blank_template_problem("url", None, "https://api.example.com//x") is None
