"""``relay key create --role …`` issues a key of that role, which the API then honours."""

from __future__ import annotations

import re

import httpx
import pytest

from storage.db import session_scope
from storage.tenants import create_tenant
from tests.worker.conftest import Api, relay


async def test_key_create_prints_a_key_of_the_role(
    api: Api, engine: object, database_url: str, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("RELAY_DATABASE_URL", database_url)
    with session_scope(engine) as session:  # type: ignore[arg-type]
        tenant, _ = create_tenant(session, "Keyed")
    status, out, _ = await relay(
        capsys, "key", "create", "--tenant", tenant.id, "--role", "viewer", "--name", "dash"
    )
    assert status == 0, out
    assert "viewer key k_" in out and "(dash)" in out
    key = re.search(r"shown once\): (\S+)", out).group(1)  # type: ignore[union-attr]
    async with httpx.AsyncClient(base_url=api.url, headers={"Authorization": f"Bearer {key}"}) as c:
        assert (await c.get("/v1/runs")).status_code == 200
        assert (await c.post("/v1/workflows", json={})).status_code == 403
    status, _, err = await relay(capsys, "key", "create", "--tenant", "t_none", "--role", "admin")
    assert status == 1 and "no tenant" in err
