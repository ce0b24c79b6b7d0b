"""Request bodies are bounded on every route (SPEC §3 "Bounded"), events and records included.

A body *declared* longer than the limit is refused before anything is read; one sent in chunks
(or longer than it said) is counted as it arrives, and reading stops as soon as it passes the
limit: the app sees the client leave, and whatever it answers to that is replaced by the 413.
Routes with a tighter limit of their own (definitions, webhooks) keep theirs.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import problem


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = problem(413, "Content too large", f"a body is at most {self.max_bytes} bytes")
        if _declared_length(scope) > self.max_bytes:
            await too_large(scope, receive, send)
            return
        received = 0
        exceeded = False

        async def counted() -> Message:
            nonlocal received, exceeded
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    exceeded = True
                    return {"type": "http.disconnect"}
            return message

        async def answered(message: Message) -> None:
            if not exceeded:
                await send(message)
            elif message["type"] == "http.response.start":
                await too_large(scope, receive, send)
            # the app's own body for the request it saw cut short is dropped

        await self.app(scope, counted, answered)


def _declared_length(scope: Scope) -> int:
    declared = Headers(scope=scope).get("content-length", "")
    return int(declared) if declared.isascii() and declared.isdigit() else 0
