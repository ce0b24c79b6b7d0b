"""Outbound HTTP calls for `http_request` and Slack steps, over an `aiohttp` session
(`http_session`).

aiohttp sends: a request costs the worker about a third of the CPU it took through httpx
(0.35 against 0.95 ms on loopback, where httpx was a quarter of a worker's CPU under load).
URLs are still parsed, checked and joined with `httpx.URL`, as the rest of Relay parses them.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import ssl as ssl_module
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import aiohttp
import httpx
from aiohttp.connector import Connection
from aiohttp.http_exceptions import ContentEncodingError
from aiohttp.tracing import Trace
from yarl import URL

from activities.departure import aleaving
from activities.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError
from activities.outbound import OutboundPolicy
from activities.signing import signature_headers

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"})
# Response headers worth keeping in a step output; the rest (cookies above all) are dropped.
KEPT_HEADERS = (
    "content-type",
    "content-length",
    "location",
    "retry-after",
    "etag",
    "last-modified",
    "x-request-id",
)
_RETRYABLE_STATUSES = frozenset({408, 429})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MAX_HEADER_BYTES = 32_768
"""The longest response header (and status line) accepted."""
KEEPALIVE_SECONDS = 4.0
"""How long an idle outbound connection is kept for the next request to the same address."""
MAX_TIMEOUT = 300.0
"""No request waits longer than this, whatever its step asks for."""
_CREDENTIALS = frozenset({"authorization", "proxy-authorization", "cookie"})
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


def encode_json(body: Any) -> bytes:
    """The exact bytes `HttpCaller` sends for a JSON body (so callers can sign them)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encode_form(fields: Mapping[str, Any]) -> bytes:
    """The exact bytes `HttpCaller` sends for a form body: ``a=1&tag=x&tag=y`` (a list repeats
    its field, None leaves it out); a nested object cannot be a form field."""
    pairs: list[tuple[str, str]] = []
    for name, value in fields.items():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict | list):
                raise PermanentDeliveryError("invalid_body", f"form field {name} is not a value")
            if item is not None:
                pairs.append((str(name), _form_value(item)))
    return urlencode(pairs).encode("ascii")


def _form_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def classify_status(
    status: int, method: str, host: str, expect: list[int] | None = None
) -> DeliveryError | None:
    """None when `status` is a success, otherwise the typed error to raise."""
    ok = status in expect if expect is not None else 200 <= status < 400
    if ok:
        return None
    detail = f"{method} {host} answered HTTP {status}"
    if status >= 500 or status in _RETRYABLE_STATUSES:
        return TransientDeliveryError(f"http_{status}", detail)
    return PermanentDeliveryError(f"http_{status}", detail)


def http_session(
    ssl: ssl_module.SSLContext | None = None, connections: int = 100
) -> aiohttp.ClientSession:
    """The session `HttpCaller` sends over (open it on the event loop that uses it): no
    cookies kept, so one tenant's never ride along on another's request to the same host; no
    proxy from the environment; redirects are `HttpCaller`'s to follow. ``ssl``: the context
    that verifies servers' certificates (the system's by default); ``connections``: how many
    may be open at once (a request beyond waits for one)."""
    connector = _DepartingConnector(
        ssl=ssl if ssl is not None else True,
        limit=connections,
        # An idle connection is dropped before common servers drop theirs (Node's after 5 s):
        # a request sent on one the server is closing may have arrived or not, and fails its
        # step as unknown unless the receiver deduplicates.
        keepalive_timeout=KEEPALIVE_SECONDS,
    )
    session = aiohttp.ClientSession(
        connector=connector,
        cookie_jar=aiohttp.DummyCookieJar(),
        trust_env=False,
        # A receiver's long header (a policy, a list of links) is no reason to fail a step
        # whose request arrived: aiohttp refuses any over 8 KiB by default.
        max_line_size=MAX_HEADER_BYTES,
        max_field_size=MAX_HEADER_BYTES,
    )
    # aiohttp sends a PUT, DELETE or GET again by itself when its connection drops before an
    # answer; the receiver may have acted on the first: whether to send again is the effect's
    # to decide (``activities.effects``), never the transport's. (aiohttp's own test client
    # turns it off the same way; it has no public switch.)
    session._retry_connection = False
    return session


class _DepartingConnector(aiohttp.TCPConnector):
    """Reports each request's departure (``activities.departure``) once it has its connection
    — new or pooled, after any TLS handshake — and before its first byte is written."""

    async def connect(
        self,
        req: aiohttp.ClientRequest,
        traces: list[Trace],
        timeout: aiohttp.ClientTimeout,  # noqa: ASYNC109 (aiohttp's signature)
    ) -> Connection:
        connection = await super().connect(req, traces, timeout)
        try:
            await aleaving()
        except BaseException:
            connection.close()  # called off: nothing was written, and nothing will be
            raise
        return connection


class HttpCaller:
    """Makes one HTTP call and returns a JSON-able result; raises `DeliveryError` on failure.

    Every destination passes `policy` (the SSRF guard): the host is resolved once and the
    request goes to the checked address, with the Host header and TLS server name of the URL.
    Redirects are returned as the answer unless `follow_redirects` asks for them, and then each
    hop is checked again. The timeout and the response size cap always apply.
    """

    def __init__(
        self,
        session: aiohttp.ClientSession,
        max_response_bytes: int = 256_000,
        *,
        policy: OutboundPolicy | None = None,
        max_redirects: int = 5,
    ) -> None:
        self.session = session
        self.max_response_bytes = max_response_bytes
        self.policy = policy or OutboundPolicy()
        self.max_redirects = max_redirects

    async def request(
        self,
        *,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, Any] | None = None,
        json_body: Any = None,
        form_body: Mapping[str, Any] | None = None,
        # Each phase of the request within it (connecting, each read), as a transport timeout.
        timeout: float = 30.0,  # noqa: ASYNC109
        idempotency_key: str | None = None,
        expect: list[int] | None = None,
        signing_secret: str | None = None,
        follow_redirects: bool = False,
    ) -> dict[str, Any]:
        """Send the request; the result has status, kept headers, json or text, and truncated.

        Query parameters whose value is None are omitted. The body, when JSON, is `encode_json`;
        a `form_body` is sent as ``application/x-www-form-urlencoded`` (`encode_form`).
        With `signing_secret`, each request carries `X-Relay-Timestamp` and `X-Relay-Signature`
        over the exact body bytes sent (see `activities.signing`).
        """
        verb = method.upper()
        if verb not in METHODS:
            raise PermanentDeliveryError("invalid_method", f"method {verb!r} is not allowed")
        target = _parse_url(url)

        send_headers = {k: v for k, v in (headers or {}).items() if k.lower() != "host"}
        for name, value in send_headers.items():
            _check_header(name, value)
        lowered = {name.lower() for name in send_headers}
        if idempotency_key and "idempotency-key" not in lowered:
            send_headers["Idempotency-Key"] = idempotency_key
        content: bytes | None = None
        if form_body is not None:
            content = encode_form(form_body)
            if "content-type" not in lowered:
                send_headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            try:
                content = encode_json(json_body)
            except (TypeError, ValueError) as exc:
                raise PermanentDeliveryError(
                    "invalid_body", "body is not JSON-serialisable"
                ) from exc
            if "content-type" not in lowered:
                send_headers["Content-Type"] = "application/json"
        params = {k: v for k, v in (query or {}).items() if v is not None}
        if params:
            target = target.copy_merge_params(params)
        timeout = min(max(timeout, 0.05), MAX_TIMEOUT)
        exchange = _Exchange(verb, target, send_headers, content)

        for _hop in range(1 + (self.max_redirects if follow_redirects else 0)):
            async with self._send(exchange, timeout, signing_secret) as response:
                location = response.headers.get("location")
                if follow_redirects and response.status in REDIRECTS and location:
                    exchange = exchange.redirected(response.status, location)
                    continue
                error = classify_status(response.status, exchange.verb, exchange.host, expect)
                if error is not None:
                    raise error
                body, truncated = await self._read_capped(response, exchange, timeout)
                return _result(response, body, truncated)
        raise PermanentDeliveryError(
            "too_many_redirects", f"{verb} {target.host}: more than {self.max_redirects}"
        )

    @asynccontextmanager
    async def _send(
        self, exchange: _Exchange, seconds: float, signing_secret: str | None
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        verb, target, host = exchange.verb, exchange.target, exchange.host
        name = target.raw_host.decode("ascii")
        port = target.port or (443 if target.scheme == "https" else 80)
        headers = {**exchange.headers, "Host": target.netloc.decode("ascii")}
        if signing_secret:
            headers.update(signature_headers(signing_secret, exchange.content or b""))
        try:
            async with asyncio.timeout(seconds):
                address = await self.policy.destination(name, port)
            async with self.session.request(
                verb,
                URL(str(target.copy_with(host=address)), encoded=True),
                headers=headers,
                data=exchange.content,
                # Each phase within the budget, as before: connecting, then each read.
                timeout=aiohttp.ClientTimeout(connect=seconds, sock_read=seconds),
                allow_redirects=False,
                # The connection goes to the checked IP; TLS still names (and verifies) the
                # host, and the pool keys connections by that name too, so one verified for
                # another host is never reused for this one.
                server_hostname=name if target.scheme == "https" else None,
            ) as response:
                yield response
        except aiohttp.ConnectionTimeoutError as exc:
            raise TransientDeliveryError("timeout", f"{verb} {host} timed out") from exc
        except aiohttp.ServerTimeoutError as exc:
            raise TransientDeliveryError(
                "timeout", f"{verb} {host} did not answer in time", maybe_delivered=True
            ) from exc
        except TimeoutError as exc:  # the name did not resolve in time: nothing was sent
            raise TransientDeliveryError("timeout", f"{verb} {host} timed out") from exc
        except aiohttp.ClientConnectorError as exc:  # refused, unreachable, or TLS refused
            raise TransientDeliveryError("network", f"{verb} {host} unreachable") from exc
        except (aiohttp.ClientError, aiohttp.http_exceptions.HttpProcessingError) as exc:
            if _undecodable(exc):
                raise PermanentDeliveryError(
                    "bad_response", f"{verb} {host} body undecodable"
                ) from exc
            # Connected, then dropped or answered with something that is not HTTP: the
            # request may be in.
            raise TransientDeliveryError(
                "network", f"{verb} {host} dropped the connection", maybe_delivered=True
            ) from exc

    async def _read_capped(
        self, response: aiohttp.ClientResponse, exchange: _Exchange, seconds: float
    ) -> tuple[bytes, bool]:
        # Stop reading at the cap so a huge or endless body cannot exhaust the worker's memory,
        # and at the deadline so a server dripping bytes cannot hold the worker forever.
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(seconds):
                async for chunk in response.content.iter_any():
                    chunks.append(chunk)
                    size += len(chunk)
                    if size > self.max_response_bytes:
                        return b"".join(chunks)[: self.max_response_bytes], True
        except TimeoutError as exc:
            raise TransientDeliveryError(
                "timeout", f"{exchange.verb} {exchange.host} timed out", maybe_delivered=True
            ) from exc
        return b"".join(chunks), False


def _undecodable(exc: BaseException) -> bool:
    """Whether the answer's body could not be decoded (its Content-Encoding lied)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ContentEncodingError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


@dataclass(frozen=True)
class _Exchange:
    """One hop of a request: what is sent, and where."""

    verb: str
    target: httpx.URL
    headers: dict[str, str]
    content: bytes | None

    @property
    def host(self) -> str:
        return self.target.host

    def redirected(self, status: int, location: str) -> _Exchange:
        """The next hop, as browsers and httpx follow it (a 303, or a POST's 301/302, is a GET)."""
        try:
            target = self.target.join(location)
        except (httpx.InvalidURL, TypeError) as exc:
            raise PermanentDeliveryError("invalid_redirect", "Location cannot be parsed") from exc
        if target.scheme not in {"http", "https"} or not target.host:
            raise PermanentDeliveryError("invalid_redirect", "redirect to a non-http(s) URL")
        verb, content, headers = self.verb, self.content, dict(self.headers)
        if (status == 303 and verb != "HEAD") or (status in (301, 302) and verb == "POST"):
            verb, content = "GET", None
            headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
        if (target.scheme, target.host, target.port) != (
            self.target.scheme,
            self.target.host,
            self.target.port,
        ):
            # Credentials were meant for the first host only.
            headers = {k: v for k, v in headers.items() if k.lower() not in _CREDENTIALS}
        return _Exchange(verb, target, headers, content)


def _check_header(name: str, value: str) -> None:
    # The transport would refuse these deep in the connection, as an error quoting the value.
    if not _TOKEN.fullmatch(name):
        raise PermanentDeliveryError("invalid_header", "a header name is not a valid token")
    if not value.isascii() or any(c in value for c in "\r\n\x00"):
        raise PermanentDeliveryError(
            "invalid_header", f"header {name} holds a character HTTP cannot carry"
        )


def _parse_url(url: str) -> httpx.URL:
    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise PermanentDeliveryError("invalid_url", "URL cannot be parsed") from exc
    if target.scheme not in {"http", "https"} or not target.host:
        raise PermanentDeliveryError("invalid_url", "URL must be http(s) with a host")
    return target


def _result(response: aiohttp.ClientResponse, body: bytes, truncated: bool) -> dict[str, Any]:
    kept = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    content_type = response.headers.get("content-type", "").lower()
    parsed: Any = None
    is_json = False
    if "json" in content_type and body and not truncated:
        with contextlib.suppress(ValueError):  # mislabelled JSON falls back to text
            parsed, is_json = json.loads(body), True
    text = None if is_json else _decode(body, response.charset)
    return {
        "status": response.status,
        "headers": kept,
        "json": parsed,
        "text": text,
        "truncated": truncated,
    }


def _decode(body: bytes, charset: str | None) -> str:
    try:
        return body.decode(charset or "utf-8", errors="replace")
    except LookupError:  # an unknown charset name in Content-Type
        return body.decode("utf-8", errors="replace")


# --- templates that rendered empty ----------------------------------------------------------
# A missing variable renders as empty text (SPEC §2.2). In a URL or a header that is a
# configuration error, not a network fault: ``https://{{ tenant }}.example.com`` would otherwise
# fail to resolve, and be retried, as "unreachable". The activity receives its configuration
# rendered; the template it came from is the step's own (``blank_template_problem``).

_EXPRESSION = re.compile(r"{{(.*?)}}", re.DOTALL)
EMPTY_TEMPLATE = "empty_template"
"""The error type of a step whose URL or header a template left empty."""


def blank_fields(url: str, headers: Mapping[str, str]) -> list[str]:
    """The fields of a request that look as if a template left them empty: ``url`` when it is
    empty, has no host, an empty label in its host (``https://.example.com``) or an empty
    path segment (``/users//notify``); ``headers.<name>`` for each empty header value."""
    found = ["url"] if _looks_blank(url) else []
    return found + [f"headers.{name}" for name, value in headers.items() if not value.strip()]


def _looks_blank(url: str) -> bool:
    try:
        return not _has_host(url) or "//" in httpx.URL(url.strip()).path
    except (httpx.InvalidURL, TypeError):
        return False  # not an emptiness; ``_parse_url`` reports it


def _has_host(url: str) -> bool:
    try:
        host = httpx.URL(url.strip()).host
    except (httpx.InvalidURL, TypeError):
        return True  # not an emptiness; ``_parse_url`` reports it
    return bool(host) and not host.startswith(".") and ".." not in host


def blank_template_problem(field: str, source: Any, rendered: str) -> str | None:
    """Why ``field`` (``url``, ``headers.<name>``), rendered as ``rendered`` from the step's
    template ``source`` (None: unknown), is a configuration error: the expressions that
    rendered empty, by name. None when no expression of a known template rendered empty."""
    if source is None:
        # Unknown template: only what cannot be meant (an empty header, a URL without a
        # proper host), not an empty path segment, which a literal URL may hold.
        if field == "url" and _has_host(rendered):
            return None
        return f"{field} rendered empty or incomplete: a variable in its template has no value"
    if not isinstance(source, str) or "{{" not in source:
        return None  # written as it is: not a template's doing
    empty = empty_expressions(source, rendered)
    if empty is None:
        return f"{field} rendered empty or incomplete: a variable in its template has no value"
    if not empty:
        return None
    named = ", ".join(f"{{{{ {expression} }}}}" for expression in empty)
    return f"{field} rendered empty where its template reads {named}: the run has no value there"


def empty_expressions(source: str, rendered: str) -> list[str] | None:
    """The ``{{ … }}`` expressions of ``source`` that rendered as empty text in ``rendered``,
    found by matching the template's literal text around them; None when the two cannot be
    matched (a ``{% %}`` block, a filter that changed the surrounding text)."""
    if "{%" in source:
        return None
    pieces = _EXPRESSION.split(source)
    literals, expressions = pieces[0::2], pieces[1::2]
    pattern = "(.*?)".join(re.escape(literal) for literal in literals)
    match = re.fullmatch(pattern, rendered, re.DOTALL)
    if match is None:
        return None
    return [
        expression.strip()
        for expression, value in zip(expressions, match.groups(), strict=True)
        if not value.strip()
    ]
