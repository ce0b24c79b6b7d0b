"""GET /v1/me: the caller's tenant, key and role, and what the role may do — the console
hides the actions a key may not take from it."""

from __future__ import annotations

import pytest

from tests.api.conftest import Stack, problem

EXPECTED = {
    # role: edit_workflows, control_runs, send_events, administer, see_customer_data
    "admin": (True, True, True, True, True),
    "editor": (True, True, True, False, True),
    "operator": (False, True, False, False, True),
    "viewer": (False, False, False, False, False),
    "ingest": (False, False, True, False, True),
}
FLAGS = ("edit_workflows", "control_runs", "send_events", "administer", "see_customer_data")


@pytest.mark.parametrize("role", sorted(EXPECTED))
async def test_a_key_learns_its_role_and_what_it_may_do(stack: Stack, role: str) -> None:
    issued = (await stack.api.post("/v1/keys", json={"name": f"{role} key", "role": role})).json()
    async with stack.api_as(issued["key"]) as client:
        me = (await client.get("/v1/me")).json()
    assert (me["tenant_id"], me["tenant_name"]) == (stack.tenant_id, "Acme")
    assert (me["key_name"], me["role"]) == (f"{role} key", role)
    assert tuple(me["may"][flag] for flag in FLAGS) == EXPECTED[role]


async def test_without_a_key_there_is_nobody(stack: Stack) -> None:
    async with stack.api_as(None) as anonymous:
        problem(await anonymous.get("/v1/me"), 401)
