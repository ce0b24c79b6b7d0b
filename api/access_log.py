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
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

log = logging.getLogger("relay.api.access")

_HOOK_TOKEN = re.compile(r"^(/v1/hooks/[^/]+/)[^/]+")


def loggable_path(path: str, query: str) -> str:
    path = _HOOK_TOKEN.sub(r"\1***", path)
    return f"{path}?…" if query else path


def install(app: FastAPI) -> None:
    @app.middleware("http")
    async def access_log(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        started = time.perf_counter()
        response = await call_next(request)
        log.info(
            "%s %s %d %.0fms",
            request.method,
            loggable_path(request.url.path, request.url.query),
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response
