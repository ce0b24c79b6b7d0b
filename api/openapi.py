"""The OpenAPI document states the whole contract: the bearer scheme and every error a route
can answer, each as problem+json (RFC 9457), so generated clients and contract tests
(Schemathesis in ``tests/api/test_contract.py``) hold the API to what it says.

FastAPI documents only the success response and its own 422 shape; Relay's errors all come from
``api.errors`` in one shape, so they are added here, once, to every operation.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.errors import PROBLEM
from api.roles import PUBLIC, ROUTES

BEARER = "bearer"

PROBLEM_NAME = "ProblemDetails"
"""The error body's schema name: RFC 9457's "problem details"."""
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "ProblemDetails",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "each problem of an invalid request or definition, with its path",
            "items": {
                "type": "object",
                "required": ["path", "message"],
                "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

_ERRORS = {
    "400": "the cursor is not one this API returned",
    "401": "missing, unknown, expired or revoked API key",
    "403": "the key's role may not call this route (or the signed link is invalid or expired)",
    "404": "no such object for this tenant",
    "409": "the object's state does not allow this (already exists, already ended…)",
    "413": "the request body is larger than the server reads",
    "415": "the body's media type is not one this route reads",
    "422": "the request is invalid: each problem with its path",
    "429": "too many failed authentications from this address: retry after `Retry-After`",
    "503": "a service the route needs (Temporal, a configured key) is unavailable",
}


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = with_errors_and_security(document)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def with_errors_and_security(document: dict[str, Any]) -> dict[str, Any]:
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    # Named apart from every model's schema (analytics has a "Problem" of its own).
    assert PROBLEM_NAME not in schemas, f"a model's schema is already named {PROBLEM_NAME}"
    schemas[PROBLEM_NAME] = PROBLEM_SCHEMA
    components["securitySchemes"] = {
        BEARER: {"type": "http", "scheme": "bearer", "description": "a tenant's API key"}
    }
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                _declare(path, method, operation)
    _hoist_local_definitions(document, schemas)
    return document


def _declare(path: str, method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    name = f"{method.upper()} {path}"
    codes = {"422", "503"}
    if name not in PUBLIC:
        operation["security"] = [{BEARER: []}]
        codes |= {"401", "403", "429"}
        declared = ROUTES.get(name)
        if declared is not None:
            roles = ", ".join(sorted(declared.roles))
            operation["description"] = (
                operation.get("description", "") + f"\n\nRoles: {roles}."
            ).strip()
    if "{" in path or "requestBody" in operation:  # a path id, or ids named in the body
        codes.add("404")
    if method != "get":
        codes |= {"409", "413", "415"}
    if any(p.get("name") == "signature" for p in operation.get("parameters", [])):
        codes.add("403")
    if any(p.get("name") == "cursor" for p in operation.get("parameters", [])):
        codes.add("400")
    for code in sorted(codes):
        described = responses.setdefault(code, {"description": _ERRORS[code]})
        described["content"] = {
            PROBLEM: {"schema": {"$ref": f"#/components/schemas/{PROBLEM_NAME}"}}
        }


def _hoist_local_definitions(document: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Schemas written by hand from ``model_json_schema()`` (a body that is one event or a list)
    carry their own ``$defs``; a ``#/$defs/…`` reference would resolve against the document's
    root, where nothing is. Move them to the components and point the references there."""

    def visit(node: Any) -> Any:
        if isinstance(node, dict):
            for name, definition in (node.pop("$defs", None) or {}).items():
                schemas.setdefault(name, visit(definition))
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                node["$ref"] = "#/components/schemas/" + ref.removeprefix("#/$defs/")
            for key, value in node.items():
                node[key] = visit(value)
        elif isinstance(node, list):
            return [visit(item) for item in node]
        return node

    visit(document.get("paths", {}))
