"""One log line per request, with what identifies a person or opens a door left out.

Uvicorn's own access log prints the full path and query string: an incoming-webhook URL's token
(``/v1/hooks/{workflow}/{token}``) and a record filter such as ``?filter={"email": ...}`` would
land in the logs. This middleware logs the method, the path with the token masked, whether there
was a query string, the status and the duration instead; ``relay api`` turns uvicorn's off.
"""

from __future__ import annotations

import logging
import re
import time

from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("relay.api.access")

_HOOK_TOKEN = re.compile(r"^(/v1/hooks/[^/]+/)[^/]+")


def loggable_path(path: str, query: str) -> str:
    path = _HOOK_TOKEN.sub(r"\1***", path)
    return f"{path}?…" if query else path


def install(app: FastAPI) -> None:
    app.add_middleware(AccessLog)


class AccessLog:
    """Logs each HTTP request once its response has gone out. Plain ASGI: Starlette's
    ``BaseHTTPMiddleware`` (``@app.middleware("http")``) runs every request in a task of its
    own and passes its body through a stream, which costs more CPU than the rest of a webhook's
    handling but its database work."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def sent(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, receive, sent)
        log.info(
            "%s %s %d %.0fms",
            scope["method"],
            loggable_path(scope["path"], scope.get("query_string", b"").decode("latin-1")),
            status,
            (time.perf_counter() - started) * 1000,
        )
