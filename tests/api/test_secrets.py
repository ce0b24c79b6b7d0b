"""``/v1/secrets``: write-only, authenticated, scoped to the key's tenant."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client

from api.app import create_app
from api.deps import ApiDeps
from storage.secrets import SecretBox, SecretStore
from tests.api.conftest import api_client, new_tenant, problem

VALUE = "sk_live_Zx81-very-secret"


async def _no_temporal() -> Client:
    raise AssertionError("secrets never need Temporal")


@dataclass
class SecretsApi:
    app: Any
    engine: Engine
    box: SecretBox
    tenant_id: str
    api: httpx.AsyncClient


def secrets_app(engine: Engine, box: SecretBox | None) -> Any:
    deps = ApiDeps(engine=engine, connect_temporal=_no_temporal, task_queue="unused", secrets=box)
    return create_app(deps)


@pytest.fixture
async def acme(engine: Engine) -> AsyncIterator[SecretsApi]:
    box = SecretBox(SecretBox.generate_key())
    app = secrets_app(engine, box)
    tenant_id, key = new_tenant(engine)
    async with api_client(app, key) as api:
        yield SecretsApi(app, engine, box, tenant_id, api)


async def test_put_stores_a_value_that_list_never_shows(acme: SecretsApi) -> None:
    put = await acme.api.put("/v1/secrets/API_KEY", json={"value": VALUE})
    replaced = await acme.api.put("/v1/secrets/API_KEY", json={"value": VALUE + "2"})
    await acme.api.put("/v1/secrets/OTHER_1", json={"value": "x"})
    listed = await acme.api.get("/v1/secrets")

    assert (put.status_code, put.content) == (204, b"")
    assert replaced.status_code == 204
    assert listed.status_code == 200
    body = listed.json()
    assert [(s["name"], sorted(s)) for s in body["items"]] == [
        ("API_KEY", ["name", "updated_at"]),
        ("OTHER_1", ["name", "updated_at"]),
    ]
    assert body["next_cursor"] is None
    assert VALUE not in listed.text
    assert SecretStore(acme.engine, acme.box).lookup(acme.tenant_id)["API_KEY"] == VALUE + "2"


async def test_list_paginates_by_name(acme: SecretsApi) -> None:
    for name in ("C", "A", "B"):
        await acme.api.put(f"/v1/secrets/{name}", json={"value": "v"})

    first = (await acme.api.get("/v1/secrets", params={"limit": 2})).json()
    rest = (await acme.api.get("/v1/secrets", params={"cursor": first["next_cursor"]})).json()

    assert [s["name"] for s in first["items"]] == ["A", "B"]
    assert ([s["name"] for s in rest["items"]], rest["next_cursor"]) == (["C"], None)


async def test_delete_removes_and_an_unknown_name_is_404(acme: SecretsApi) -> None:
    await acme.api.put("/v1/secrets/API_KEY", json={"value": VALUE})

    deleted = await acme.api.delete("/v1/secrets/API_KEY")
    again = await acme.api.delete("/v1/secrets/API_KEY")

    assert deleted.status_code == 204
    assert problem(again, 404)["detail"] == "no secret 'API_KEY'"
    assert (await acme.api.get("/v1/secrets")).json()["items"] == []


async def test_another_tenant_neither_sees_nor_deletes_nor_reads_them(acme: SecretsApi) -> None:
    await acme.api.put("/v1/secrets/API_KEY", json={"value": VALUE})
    globex_id, globex_key = new_tenant(acme.engine, "Globex")

    async with api_client(acme.app, globex_key) as globex:
        assert (await globex.get("/v1/secrets")).json()["items"] == []
        problem(await globex.delete("/v1/secrets/API_KEY"), 404)
        assert (await globex.put("/v1/secrets/API_KEY", json={"value": "g"})).status_code == 204

    store = SecretStore(acme.engine, acme.box)
    assert store.lookup(acme.tenant_id) == {"API_KEY": VALUE}
    assert store.lookup(globex_id) == {"API_KEY": "g"}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/v1/secrets"), ("PUT", "/v1/secrets/API_KEY"), ("DELETE", "/v1/secrets/API_KEY")],
)
@pytest.mark.parametrize("key", [None, "rly_wrong"])
async def test_every_route_needs_a_valid_key(
    acme: SecretsApi, method: str, path: str, key: str | None
) -> None:
    async with api_client(acme.app, key) as anonymous:
        response = await anonymous.request(method, path, json={"value": VALUE})

    problem(response, 401)


@pytest.mark.parametrize("name", ["api_key", "API-KEY", "A" * 65, "ÄPI"])
async def test_a_name_outside_upper_case_digits_and_underscore_is_422(
    acme: SecretsApi, name: str
) -> None:
    problem(await acme.api.put(f"/v1/secrets/{name}", json={"value": "v"}), 422)


@pytest.mark.parametrize("body", [{}, {"value": ""}, {"value": 5}, {"value": "v", "extra": 1}])
async def test_an_invalid_body_is_422_without_echoing_it(acme: SecretsApi, body: Any) -> None:
    response = await acme.api.put("/v1/secrets/API_KEY", json=body)

    problem(response, 422)
    assert '"input"' not in response.text


async def test_a_rejected_value_is_not_echoed(acme: SecretsApi) -> None:
    response = await acme.api.put("/v1/secrets/API_KEY", json={"value": VALUE * 3000})

    problem(response, 422)
    assert VALUE not in response.text


async def test_without_a_secrets_key_writes_are_unavailable(engine: Engine) -> None:
    _, key = new_tenant(engine)
    async with api_client(secrets_app(engine, None), key) as api:
        response = await api.put("/v1/secrets/API_KEY", json={"value": VALUE})

    assert "RELAY_SECRETS_KEY" in problem(response, 503)["detail"]
