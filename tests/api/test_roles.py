"""Every route admits exactly the roles ``api/roles.py`` declares for it: the whole OpenAPI
document is walked with a key of every role (SPEC §7)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute

from api.roles import PUBLIC, ROUTES, Role
from tests.api.conftest import Stack, problem

METHODS = ("get", "post", "put", "patch", "delete")
PARAMS = {"number": "1"}


def operations(document: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    ]


def concrete(path: str) -> str:
    return re.sub(r"\{(\w+)\}", lambda m: PARAMS.get(m.group(1), "nope"), path)


async def keys_of_every_role(stack: Stack) -> dict[Role, str]:
    keys = {}
    for role in Role:
        issued = await stack.api.post("/v1/keys", json={"name": f"{role} key", "role": role})
        assert issued.status_code == 201, issued.text
        keys[role] = issued.json()["key"]
    return keys


def test_every_route_declares_its_roles(stack: Stack) -> None:
    document = stack.app.openapi()
    declared = set(ROUTES) | PUBLIC
    in_document = {f"{method} {path}" for method, path in operations(document)}
    assert in_document - declared == set(), "declare these routes in api/roles.py"
    # Routes left out of the document (the codec server) are declared too.
    for route in stack.app.routes:
        if isinstance(route, APIRoute):
            for method in route.methods:
                assert f"{method} {route.path}" in declared, f"{method} {route.path}"
    assert set(ROUTES) - in_document == set(), "api/roles.py declares routes that do not exist"


async def test_every_route_admits_exactly_its_declared_roles(stack: Stack) -> None:
    keys = await keys_of_every_role(stack)
    for method, path in operations(stack.app.openapi()):
        name = f"{method} {path}"
        if name in PUBLIC:
            continue
        body = {} if method in ("POST", "PUT", "PATCH") else None
        for role, key in keys.items():
            async with stack.api_as(key) as client:
                response = await client.request(method, concrete(path), json=body)
            if role in ROUTES[name].roles:
                assert response.status_code not in (401, 403), (name, role, response.text)
            else:
                assert problem(response, 403)["detail"].startswith(f"a {role} key"), name


async def test_a_route_nobody_declared_is_refused(stack: Stack) -> None:
    @stack.app.get("/v1/undeclared")
    def undeclared() -> dict[str, str]:
        return {"leak": "everything"}

    assert "undeclared" in problem(await stack.api.get("/v1/undeclared"), 403)["detail"]


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (Role.INGEST, [("POST", "/v1/events")], [("GET", "/v1/runs"), ("GET", "/v1/workflows")]),
        (Role.VIEWER, [("GET", "/v1/runs")], [("POST", "/v1/events"), ("GET", "/v1/secrets")]),
        (Role.OPERATOR, [("GET", "/v1/runs")], [("GET", "/v1/audit"), ("POST", "/v1/workflows")]),
        (Role.EDITOR, [("GET", "/v1/workflows")], [("GET", "/v1/keys"), ("PUT", "/v1/secrets/A")]),
    ],
)
async def test_roles_read_as_the_issue_describes(
    stack: Stack, role: Role, allowed: list[tuple[str, str]], refused: list[tuple[str, str]]
) -> None:
    issued = await stack.api.post("/v1/keys", json={"name": "k", "role": role})
    async with stack.api_as(issued.json()["key"]) as client:
        for method, path in allowed:
            body = {"type": "lead.created", "data": {}} if method == "POST" else None
            response = await client.request(method, path, json=body)
            assert response.status_code < 300, response.text
        for method, path in refused:
            problem(await client.request(method, path, json={}), 403)
