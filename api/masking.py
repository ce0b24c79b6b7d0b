"""A viewer key reads everything, with recipients and message content masked (SPEC §7).

Applied to every JSON response a viewer gets, so no route can forget it: values under the keys
that name a recipient or a message (``to``, ``subject``, ``body``…) are replaced, and so is any
email address or phone number anywhere else (event data, step outputs, records). Templates
(``{{ invitee_email }}``) are not content and stay readable, so a viewer can still read how a
workflow is built.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.roles import Role

MASK = "•••"
MESSAGE_KEYS = frozenset(
    {
        "to", "cc", "bcc", "from", "reply_to", "recipient", "recipients", "email", "phone",
        "subject", "body", "html", "text", "message", "content",
    }
)  # fmt: skip
GRAPH_KEYS = frozenset({"edges"})
"""Lists of a flow's edges, whose ``from``/``to`` name nodes, not people: kept readable."""
_EMAIL = re.compile(r"[^\s@<>\"',;:]+@[^\s@<>\"',;:]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w.])\+?\d[\d ().-]{7,}\d(?![\w])")


def masked(value: Any, key: str | None = None) -> Any:
    """``value`` as a viewer sees it."""
    if isinstance(value, dict):
        return {k: masked(v, k) for k, v in value.items()}
    if isinstance(value, list) and key in GRAPH_KEYS:
        return [_edge_masked(item) for item in value]
    if isinstance(value, list):
        return [masked(item, key) for item in value]
    if isinstance(value, str):
        if key in MESSAGE_KEYS and "{{" not in value and value:
            return MASK
        return _PHONE.sub(_phone_mask, _EMAIL.sub(MASK, value))
    return value


def _edge_masked(edge: Any) -> Any:
    if not isinstance(edge, dict):
        return masked(edge)
    return {k: masked(v) if k in ("from", "to") else masked(v, k) for k, v in edge.items()}


def _phone_mask(match: re.Match[str]) -> str:
    digits = sum(ch.isdigit() for ch in match.group())
    return MASK if digits >= 9 else match.group()  # not dates, amounts or short ids


class MaskForViewers:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffered(message: Message) -> None:
            nonlocal start
            principal = scope.get("state", {}).get("principal")
            if principal is None or principal.role != Role.VIEWER:
                await send(message)
                return
            if message["type"] == "http.response.start":
                start = message
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            assert start is not None
            body = b"".join(chunks)
            headers = dict((k.lower(), v) for k, v in start["headers"])
            if headers.get(b"content-type", b"").split(b";")[0].endswith(b"json") and body:
                body = json.dumps(masked(json.loads(body)), ensure_ascii=False).encode()
                start["headers"] = [
                    (k, str(len(body)).encode() if k.lower() == b"content-length" else v)
                    for k, v in start["headers"]
                ]
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffered)


def install(app: FastAPI) -> None:
    app.add_middleware(MaskForViewers)
