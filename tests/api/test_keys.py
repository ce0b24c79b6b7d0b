"""A tenant's keys: issued with a role (shown once, stored hashed), listed, expiring, revoked;
failed authentications are rate-limited per address (SPEC §7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
from sqlmodel import select

from storage.db import session_scope
from storage.models import ApiKey
from tests.api.conftest import Stack, problem


async def test_a_key_is_shown_once_stored_hashed_and_listed_without_it(stack: Stack) -> None:
    issued = await stack.api.post("/v1/keys", json={"name": "backend", "role": "ingest"})
    assert issued.status_code == 201, issued.text
    body = issued.json()
    key = body["key"]
    assert (body["name"], body["role"], body["prefix"]) == ("backend", "ingest", key[:8])
    with session_scope(stack.engine) as session:
        stored = session.exec(select(ApiKey).where(ApiKey.id == body["id"])).one()
        assert key not in (stored.key_hash, stored.prefix) and len(stored.key_hash) == 64
    listed = (await stack.api.get("/v1/keys")).json()["items"]
    mine = next(k for k in listed if k["id"] == body["id"])
    assert "key" not in mine and mine["last_used_at"] is None
    async with stack.api_as(key) as backend:
        accepted = await backend.post("/v1/events", json={"type": "x.happened", "data": {}})
        assert accepted.status_code == 202, accepted.text
    listed = (await stack.api.get("/v1/keys")).json()["items"]
    assert next(k for k in listed if k["id"] == body["id"])["last_used_at"] is not None


async def test_a_revoked_key_stops_working_at_once(stack: Stack) -> None:
    issued = (await stack.api.post("/v1/keys", json={"name": "temp", "role": "viewer"})).json()
    async with stack.api_as(issued["key"]) as viewer:
        assert (await viewer.get("/v1/workflows")).status_code == 200
        assert (await stack.api.delete(f"/v1/keys/{issued['id']}")).status_code == 204
        problem(await viewer.get("/v1/workflows"), 401)
    listed = (await stack.api.get("/v1/keys")).json()["items"]
    assert next(k for k in listed if k["id"] == issued["id"])["revoked_at"] is not None
    problem(await stack.api.delete("/v1/keys/k_nope"), 404)


async def test_an_expired_key_is_refused(stack: Stack) -> None:
    soon = datetime.now(UTC) + timedelta(hours=1)
    issued = await stack.api.post(
        "/v1/keys", json={"name": "short", "role": "viewer", "expires_at": soon.isoformat()}
    )
    assert issued.json()["expires_at"] is not None
    async with stack.api_as(issued.json()["key"]) as viewer:
        assert (await viewer.get("/v1/runs")).status_code == 200
        with session_scope(stack.engine) as session:
            row = session.get(ApiKey, issued.json()["id"])
            assert row is not None
            row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
            session.add(row)
        problem(await viewer.get("/v1/runs"), 401)
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    refused = await stack.api.post(
        "/v1/keys", json={"name": "late", "role": "viewer", "expires_at": past}
    )
    problem(refused, 422)


async def test_another_tenants_key_cannot_be_revoked(stack: Stack) -> None:
    issued = (await stack.api.post("/v1/keys", json={"name": "mine", "role": "editor"})).json()
    async with stack.other_tenant() as globex:
        problem(await globex.delete(f"/v1/keys/{issued['id']}"), 404)
        assert issued["id"] not in [k["id"] for k in (await globex.get("/v1/keys")).json()["items"]]


async def test_repeated_failed_authentications_from_one_address_get_429(stack: Stack) -> None:
    limit = stack.app.state.deps.failed_authentications.limit
    guesser = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=stack.app, client=("198.51.100.7", 5000)),
        base_url="http://relay.test",
        headers={"Authorization": "Bearer rly_guess"},
    )
    async with guesser:
        for _ in range(limit):
            problem(await guesser.get("/v1/workflows"), 401)
        refused = await guesser.get("/v1/workflows")
        problem(refused, 429)
        assert int(refused.headers["retry-after"]) >= 1
    # Other addresses are not affected.
    assert (await stack.api.get("/v1/workflows")).status_code == 200
