"""GET /v1/schema: the DSL's JSON Schema, for editors, without an API key."""

from __future__ import annotations

import json
from pathlib import Path

from definitions.schema import definition_json_schema
from tests.api.authoring.conftest import Authoring

COMMITTED = Path(__file__).resolve().parents[3] / "schema" / "relay-definition.schema.json"


async def test_the_schema_is_served_without_a_key(authoring: Authoring) -> None:
    async with authoring.anonymous() as anonymous:
        response = await anonymous.get("/v1/schema")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/schema+json"
    assert response.json() == definition_json_schema()
    assert response.json() == json.loads(COMMITTED.read_text(encoding="utf-8"))


async def test_the_authoring_routes_are_in_the_openapi_document(authoring: Authoring) -> None:
    paths = (await authoring.api.get("/openapi.json")).json()["paths"]
    for path in (
        "/v1/schema",
        "/v1/workflows/validate",
        "/v1/workflows/import",
        "/v1/workflows/{workflow_id}/validate",
        "/v1/workflows/{workflow_id}/export",
        "/v1/workflows/{workflow_id}/versions/{number}",
        "/v1/workflows/{workflow_id}/diff",
        "/v1/workflows/{workflow_id}/rollback",
        "/v1/workflows/{workflow_id}/duplicate",
    ):
        assert path in paths, path
    body = paths["/v1/workflows/import"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "application/yaml"}
