"""Outbound HTTP calls for `http_request` steps over an injected `httpx.AsyncClient`."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any

import httpx

from activities.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError

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


def encode_json(body: Any) -> bytes:
    """The exact bytes `HttpCaller` sends for a JSON body (so callers can sign them)."""
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


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


class HttpCaller:
    """Makes one HTTP call and returns a JSON-able result; raises `DeliveryError` on failure.

    Redirects, proxies and connection pooling are whatever the injected client is configured for.
    """

    def __init__(self, client: httpx.AsyncClient, max_response_bytes: int = 256_000) -> None:
        self.client = client
        self.max_response_bytes = max_response_bytes

    async def request(
        self,
        *,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        query: Mapping[str, Any] | None = None,
        json_body: Any = None,
        # Forwarded to httpx as the per-request timeout, so asyncio.timeout is not a substitute.
        timeout: float = 30.0,  # noqa: ASYNC109
        idempotency_key: str | None = None,
        expect: list[int] | None = None,
    ) -> dict[str, Any]:
        """Send the request; the result has status, kept headers, json or text, and truncated.

        Query parameters whose value is None are omitted. The body, when JSON, is `encode_json`.
        """
        verb = method.upper()
        if verb not in METHODS:
            raise PermanentDeliveryError("invalid_method", f"method {verb!r} is not allowed")
        target = _parse_url(url)
        host = target.host
        # SSRF: refuse private/loopback/link-local destinations here (later issue).

        send_headers = dict(headers or {})
        lowered = {name.lower() for name in send_headers}
        if idempotency_key and "idempotency-key" not in lowered:
            send_headers["Idempotency-Key"] = idempotency_key
        content: bytes | None = None
        if json_body is not None:
            try:
                content = encode_json(json_body)
            except (TypeError, ValueError) as exc:
                raise PermanentDeliveryError(
                    "invalid_body", "body is not JSON-serialisable"
                ) from exc
            if "content-type" not in lowered:
                send_headers["Content-Type"] = "application/json"
        params = {k: v for k, v in (query or {}).items() if v is not None}

        try:
            async with self.client.stream(
                verb,
                target,
                params=params,
                headers=send_headers,
                content=content,
                timeout=timeout,
            ) as response:
                error = classify_status(response.status_code, verb, host, expect)
                if error is not None:
                    raise error
                body, truncated = await self._read_capped(response)
        except httpx.TimeoutException as exc:
            raise TransientDeliveryError("timeout", f"{verb} {host} timed out") from exc
        except httpx.TooManyRedirects as exc:
            raise PermanentDeliveryError("too_many_redirects", f"{verb} {host}") from exc
        except httpx.DecodingError as exc:
            raise PermanentDeliveryError("bad_response", f"{verb} {host} body undecodable") from exc
        except httpx.TransportError as exc:
            raise TransientDeliveryError("network", f"{verb} {host} unreachable") from exc
        return _result(response, body, truncated)

    async def _read_capped(self, response: httpx.Response) -> tuple[bytes, bool]:
        # Stop reading at the cap so a huge or endless body cannot exhaust the worker's memory.
        chunks: list[bytes] = []
        size = 0
        async for chunk in response.aiter_bytes():
            chunks.append(chunk)
            size += len(chunk)
            if size > self.max_response_bytes:
                return b"".join(chunks)[: self.max_response_bytes], True
        return b"".join(chunks), False


def _parse_url(url: str) -> httpx.URL:
    try:
        target = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise PermanentDeliveryError("invalid_url", "URL cannot be parsed") from exc
    if target.scheme not in {"http", "https"} or not target.host:
        raise PermanentDeliveryError("invalid_url", "URL must be http(s) with a host")
    return target


def _result(response: httpx.Response, body: bytes, truncated: bool) -> dict[str, Any]:
    kept = {name: response.headers[name] for name in KEPT_HEADERS if name in response.headers}
    content_type = response.headers.get("content-type", "").lower()
    parsed: Any = None
    is_json = False
    if "json" in content_type and body and not truncated:
        with contextlib.suppress(ValueError):  # mislabelled JSON falls back to text
            parsed, is_json = json.loads(body), True
    text = None if is_json else _decode(body, response.charset_encoding)
    return {
        "status": response.status_code,
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
