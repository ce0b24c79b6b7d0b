"""Every error the API returns is ``application/problem+json`` (RFC 9457), mapped in one place."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from definitions.errors import DefinitionError

PROBLEM = "application/problem+json"


class ApiError(Exception):
    def __init__(self, status: int, title: str, detail: str = "", **extra: Any) -> None:
        super().__init__(detail or title)
        self.status, self.title, self.detail, self.extra = status, title, detail, extra


class NotFound(ApiError):
    def __init__(self, what: str, ident: str) -> None:
        super().__init__(404, "Not found", f"no {what} {ident!r}")


class Conflict(ApiError):
    def __init__(self, detail: str) -> None:
        super().__init__(409, "Conflict", detail)


class Unavailable(ApiError):
    def __init__(self, detail: str) -> None:
        super().__init__(503, "Service unavailable", detail)


def problem(status: int, title: str, detail: str = "", **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return problem(exc.status, exc.title, exc.detail, **exc.extra)

    @app.exception_handler(DefinitionError)
    async def _definition_error(_: Request, exc: DefinitionError) -> JSONResponse:
        return problem(
            422,
            "Invalid definition",
            f"{len(exc.problems)} problem(s) in the definition",
            errors=[p.as_dict() for p in exc.problems],
        )

    @app.exception_handler(RequestValidationError)
    async def _request_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "path": ".".join(str(p) for p in e["loc"] if p != "body"),
                "message": e["msg"],
            }
            for e in exc.errors()
        ]
        return problem(
            422, "Invalid request", "the request body or query is invalid", errors=errors
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        response = problem(exc.status_code, str(exc.detail), "")
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response
