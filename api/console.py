"""The console: the web app built from ``console/`` (``make console``), shipped as package data
in ``api/console_dist`` and served by the API itself at ``/`` — no Node.js where Relay runs.

Client-side routes (``/workflows/…``, ``/runs/…``) answer the app's ``index.html``. The route
declines every request it does not serve — other methods, the API's own paths (``/v1``,
``/docs``, health, metrics) — so the API answers those exactly as without the console (404 and
405 problems alike).
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import FileResponse, Response
from starlette.routing import Match, Route
from starlette.types import Scope

from api.errors import problem

DIST = Path(__file__).parent / "console_dist"
API_ROOTS = frozenset({"v1", "docs", "redoc", "openapi.json", "healthz", "readyz", "metrics"})
"""First path segments that belong to the API, never to the console."""
_IMMUTABLE = "public, max-age=31536000, immutable"
"""Assets carry a content hash in their names: a new build has new names."""


class _ConsoleRoute(Route):
    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or scope["method"] not in ("GET", "HEAD"):
            return Match.NONE, {}
        if scope["path"].lstrip("/").split("/", 1)[0] in API_ROOTS:
            return Match.NONE, {}
        return super().matches(scope)


def install(app: FastAPI, dist: Path = DIST) -> None:
    """Serve the console at ``/``; call after every API router is included."""
    root = dist.resolve()
    index = root / "index.html"

    async def console(request: Request) -> Response:
        path = request.path_params["path"]
        if path.startswith("assets/"):
            asset = (root / path).resolve()
            if asset.is_file() and asset.is_relative_to(root):
                return FileResponse(asset, headers={"Cache-Control": _IMMUTABLE})
            return problem(404, "Not Found", f"no console asset {request.url.path}")
        if not index.is_file():
            detail = "the console is not built: run `make console` (api/console_dist)"
            return problem(404, "Not Found", detail)
        # Any other path is a page of the app, which routes it in the browser.
        return FileResponse(index, headers={"Cache-Control": "no-cache"})

    app.router.routes.append(_ConsoleRoute("/{path:path}", console, methods=["GET", "HEAD"]))
