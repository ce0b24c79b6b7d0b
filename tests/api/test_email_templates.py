"""``/v1/email-templates``: stored emails by name, checked for template syntax, per tenant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client

from api.app import create_app
from api.deps import ApiDeps
from tests.api.conftest import api_client, new_tenant, problem

WELCOME = {
    "name": "welcome",
    "subject": "Welcome, {{ invitee_name }}",
    "text": "Hi {{ invitee_name }}",
    "html": "<p>Hi {{ invitee_name }}</p>",
}


async def _no_temporal() -> Client:
    raise AssertionError("email templates never need Temporal")


@pytest.fixture
def app(engine: Engine) -> Any:
    return create_app(ApiDeps(engine=engine, connect_temporal=_no_temporal, task_queue="unused"))


@pytest.fixture
async def api(app: Any, engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    async with api_client(app, new_tenant(engine)[1]) as client:
        yield client


async def test_create_read_list_replace_delete(api: httpx.AsyncClient) -> None:
    created = await api.post("/v1/email-templates", json=WELCOME)
    assert created.status_code == 201, created.text
    assert {k: created.json()[k] for k in WELCOME} == WELCOME

    read = await api.get("/v1/email-templates/welcome")
    assert read.json()["subject"] == "Welcome, {{ invitee_name }}"
    await api.post("/v1/email-templates", json={**WELCOME, "name": "apology", "html": None})
    listed = (await api.get("/v1/email-templates", params={"limit": 1})).json()
    assert [t["name"] for t in listed["items"]] == ["apology"]
    rest = await api.get("/v1/email-templates", params={"cursor": listed["next_cursor"]})
    assert [t["name"] for t in rest.json()["items"]] == ["welcome"]

    replaced = await api.put(
        "/v1/email-templates/welcome", json={"subject": "Hello", "text": "New text"}
    )
    assert replaced.status_code == 200
    assert (replaced.json()["subject"], replaced.json()["html"]) == ("Hello", None)
    assert (await api.delete("/v1/email-templates/welcome")).status_code == 204
    problem(await api.get("/v1/email-templates/welcome"), 404)
    problem(await api.delete("/v1/email-templates/welcome"), 404)


async def test_put_creates_a_missing_template_and_post_refuses_a_taken_name(
    api: httpx.AsyncClient,
) -> None:
    put = await api.put("/v1/email-templates/receipt", json={"subject": "s", "html": "<p/>"})
    assert put.status_code == 201
    problem(await api.post("/v1/email-templates", json={**WELCOME, "name": "receipt"}), 409)


async def test_invalid_jinja_is_a_422_with_the_fields_path(api: httpx.AsyncClient) -> None:
    body = problem(
        await api.post(
            "/v1/email-templates",
            json={**WELCOME, "subject": "Hi {{ name", "html": "{% if x %}unclosed"},
        ),
        422,
    )
    assert [e["path"] for e in body["errors"]] == ["subject", "html"]
    assert body["errors"][0]["message"].startswith("invalid template: line 1:")
    assert (await api.get("/v1/email-templates")).json()["items"] == []


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"subject": "s"}, "text"),  # neither text nor html
        ({"name": "has space", "subject": "s", "text": "t"}, "name"),
        ({"name": "ok", "text": "t"}, "subject"),
        ({"name": "ok", "subject": "s", "text": "t", "from": "x"}, "from"),
    ],
)
async def test_bad_bodies_are_422_with_paths(
    api: httpx.AsyncClient, payload: dict[str, Any], path: str
) -> None:
    if "name" not in payload:
        response = await api.put("/v1/email-templates/ok", json=payload)
    else:
        response = await api.post("/v1/email-templates", json=payload)
    assert path in [e["path"] for e in problem(response, 422)["errors"]]


async def test_another_tenant_neither_sees_nor_changes_them(
    api: httpx.AsyncClient, app: Any, engine: Engine
) -> None:
    await api.post("/v1/email-templates", json=WELCOME)

    async with api_client(app, new_tenant(engine, "Globex")[1]) as globex:
        assert (await globex.get("/v1/email-templates")).json()["items"] == []
        problem(await globex.get("/v1/email-templates/welcome"), 404)
        problem(await globex.delete("/v1/email-templates/welcome"), 404)
        mine = await globex.put("/v1/email-templates/welcome", json={"subject": "g", "text": "g"})
        assert mine.status_code == 201

    assert (await api.get("/v1/email-templates/welcome")).json()["subject"] == WELCOME["subject"]


async def test_routes_need_an_api_key(app: Any) -> None:
    async with api_client(app, None) as anonymous:
        problem(await anonymous.get("/v1/email-templates"), 401)
