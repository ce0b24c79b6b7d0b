"""A run's steps a page at a time: a long run's detail stays small, and every step is readable."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from storage.db import session_scope
from storage.models import Run
from storage.runs import record_step, start_run
from tests.api.conftest import Stack, problem

STEPS = 1_203


def _long_run(stack: Stack) -> str:
    run_id = f"run_{uuid.uuid4().hex[:12]}"
    with session_scope(stack.engine) as session:
        start_run(session, Run(id=run_id, tenant_id=stack.tenant_id, workflow_id="wf_long",
                               version=1, started_at=datetime.now(UTC)))  # fmt: skip
        for seq in range(1, STEPS + 1):
            step = {"step_key": f"each[{seq}]", "node_id": "each", "type": "set",
                    "status": "completed", "seq": seq}  # fmt: skip
            record_step(session, stack.tenant_id, run_id, step)
    return run_id


async def test_a_long_run_shows_its_first_steps_and_pages_through_the_rest(stack: Stack) -> None:
    run_id = _long_run(stack)
    detail = (await stack.api.get(f"/v1/runs/{run_id}")).json()
    keys = [step["step_key"] for step in detail["steps"]]
    assert keys == [f"each[{seq}]" for seq in range(1, 501)]
    assert detail["path"] == keys
    cursor = detail["steps_cursor"]
    while cursor:
        page = await stack.api.get(f"/v1/runs/{run_id}/steps", params={"cursor": cursor})
        assert page.status_code == 200, page.text
        keys += [step["step_key"] for step in page.json()["items"]]
        cursor = page.json()["next_cursor"]
    assert keys == [f"each[{seq}]" for seq in range(1, STEPS + 1)]


async def test_a_short_run_has_every_step_and_no_cursor(stack: Stack) -> None:
    run_id = f"run_{uuid.uuid4().hex[:12]}"
    with session_scope(stack.engine) as session:
        start_run(session, Run(id=run_id, tenant_id=stack.tenant_id, workflow_id="wf_short",
                               version=1, started_at=datetime.now(UTC)))  # fmt: skip
        record_step(session, stack.tenant_id, run_id,
                    {"step_key": "a", "node_id": "a", "type": "set", "status": "completed",
                     "seq": 1})  # fmt: skip
    detail = (await stack.api.get(f"/v1/runs/{run_id}")).json()
    assert [s["step_key"] for s in detail["steps"]] == ["a"]
    assert detail["steps_cursor"] is None
    page = (await stack.api.get(f"/v1/runs/{run_id}/steps", params={"limit": 10})).json()
    assert ([s["step_key"] for s in page["items"]], page["next_cursor"]) == (["a"], None)


async def test_a_forged_cursor_or_another_tenants_run_is_refused(stack: Stack) -> None:
    run_id = _long_run(stack)
    forged = await stack.api.get(f"/v1/runs/{run_id}/steps", params={"cursor": "bm90LWEtY3Vyc29y"})
    assert problem(forged, 400)["title"] == "Invalid cursor"
    other = stack.other_tenant()
    async with other:
        problem(await other.get(f"/v1/runs/{run_id}/steps"), 404)
