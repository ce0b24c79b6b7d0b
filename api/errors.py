"""Every error the API returns is ``application/problem+json`` (RFC 9457), mapped in one place."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from definitions.errors import DefinitionError, join_path
from runs import errors as runs_errors

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"
_UNPARSEABLE_BODY = "There was an error parsing the body"


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
    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(503, "Service unavailable", detail, **extra)


def problem(status: int, title: str, detail: str = "", **extra: Any) -> JSONResponse:
    body = problem_body(status, title, detail, **extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


def problem_body(status: int, title: str, detail: str = "", **extra: Any) -> dict[str, Any]:
    return {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}


def from_service(exc: runs_errors.RunsError) -> ApiError:
    """The HTTP answer to an error of run intake and control (``runs.errors``)."""
    if isinstance(exc, runs_errors.NotFound):
        return NotFound(exc.what, exc.ident)
    if isinstance(exc, runs_errors.Conflict):
        return Conflict(exc.detail)
    if isinstance(exc, runs_errors.Invalid):
        return ApiError(422, "Invalid request", exc.detail, errors=exc.errors)
    if isinstance(exc, runs_errors.Unavailable) and exc.event_id is not None:
        return Unavailable(exc.detail, event_id=exc.event_id)
    return Unavailable(exc.detail)


def problem_of(exc: Exception) -> dict[str, Any] | None:
    """The problem document the API answers for ``exc`` (an ``ApiError``, a service error or a
    refused definition); None for any other exception. Bulk operations report one per item."""
    if isinstance(exc, runs_errors.RunsError):
        exc = from_service(exc)
    if isinstance(exc, ApiError):
        return problem_body(exc.status, exc.title, exc.detail, **exc.extra)
    if isinstance(exc, DefinitionError):
        return problem_body(
            422,
            "Invalid definition",
            f"{len(exc.problems)} problem(s) in the definition",
            errors=[p.as_dict() for p in exc.problems],
        )
    return None


def install(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    @app.exception_handler(runs_errors.RunsError)
    @app.exception_handler(DefinitionError)
    async def _known_error(_: Request, exc: Exception) -> JSONResponse:
        body = problem_of(exc)
        assert body is not None  # the types registered here
        return JSONResponse(body, status_code=body["status"], media_type=PROBLEM)

    @app.exception_handler(RequestValidationError)
    async def _request_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [_field_error(e) for e in exc.errors()]
        return problem(
            422, "Invalid request", "the request body or query is invalid", errors=errors
        )

    @app.exception_handler(DataError)
    async def _unstorable(_: Request, exc: DataError) -> JSONResponse:
        # The database refused a value that validation let through (too long for its column,
        # out of range, a NUL in a path): the client's value, so a 422 rather than a 500.
        log.warning("database refused a value: %s", exc.orig)
        return problem(
            422, "Invalid request", "a value is too long, out of range or not storable as text"
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == _UNPARSEABLE_BODY:
            # FastAPI's answer to a body that is not even text: the client's mistake like any
            # invalid JSON, so the same 422 as a JSON syntax error rather than a bare 400.
            error = {"path": "", "message": "the body is not valid JSON (not UTF-8 text)"}
            return problem(422, "Invalid request", "the request body is invalid", errors=[error])
        response = problem(exc.status_code, str(exc.detail), "")
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        return response


def _field_error(error: Any) -> dict[str, str]:
    """``{"path": "steps[1].type", "message": ...}``, in the same path notation as definitions."""
    if error.get("type") == "json_invalid":  # loc holds the offset of the syntax error
        reason = (error.get("ctx") or {}).get("error", "")
        return {"path": "", "message": f"the body is not valid JSON ({reason})".replace(" ()", "")}
    path = ""
    for part in error["loc"]:
        if part != "body" or path:
            path = join_path(path, part if isinstance(part, int) else str(part))
    return {"path": path, "message": error["msg"]}
