"""Hostile definitions are contained at run time: a cycle whose wait never pauses fails the run
naming the node, instead of spinning until Temporal's deadlock detector fires."""

from __future__ import annotations

import asyncio

from sqlalchemy.engine import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from benchmarks.worker_memory import SPIN  # a cycle whose only wait its ``when`` skips
from tests.helpers.db import run_row
from tests.helpers.temporal import relay_worker, run_input, start_run
from tests.workflows.flow_helpers import run_once, step_rows
from workflows.policies import REVISITS_PER_TASK

TASK_FAILED = EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED


async def test_a_cycle_whose_wait_is_skipped_fails_the_run_naming_the_node(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    run_id, result = await run_once(time_env, engine, SPIN, {"go": "no"})
    assert result.status == "failed"
    assert result.error is not None
    assert result.error["type"] == "cycle_without_pause"
    assert result.error["message"].startswith("cycle without a pause at node ")
    # At the revisit budget: a few such runs at once on a loaded worker still fail this way,
    # not by Temporal's deadlock detector failing (and retrying) their workflow task.
    assert result.error["message"].endswith(
        f"{REVISITS_PER_TASK} nodes visited again without pausing"
    )
    row = run_row(engine, run_id)
    assert row is not None and row.status == "failed"


async def test_spinning_runs_at_once_on_one_worker_fail_without_a_deadlocked_task(
    dev_env: WorkflowEnvironment, engine: Engine
) -> None:
    """The soak for issue 13's item 10: spinning runs that share a worker (and its interpreter
    lock) each fail by the budget, in their first workflow task — none is failed by the
    deadlock detector and retried, which is how the worker's memory grew."""
    async with relay_worker(dev_env.client, engine) as worker:
        handles = [
            await start_run(dev_env.client, worker, run_input(SPIN, {"go": "no"})) for _ in range(8)
        ]
        results = await asyncio.wait_for(
            asyncio.gather(*(handle.result() for handle in handles)), timeout=120
        )
        for handle, result in zip(handles, results, strict=True):
            assert result.status == "failed" and result.error["type"] == "cycle_without_pause"
            history = await handle.fetch_history()
            failed = [e for e in history.events if e.event_type == TASK_FAILED]
            assert failed == [], failed[0].workflow_task_failed_event_attributes.failure.message


async def test_steps_visited_once_each_in_one_task_are_not_a_cycle(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    """A long chain of steps without activities, and a for_each whose iterations run at once,
    visit many steps in one workflow task — each once: no budget trips."""
    chain = [
        {"id": f"s{i}", "type": "set", "values": {"n": i}} for i in range(REVISITS_PER_TASK + 50)
    ]
    _, long_chain = await run_once(time_env, engine, {"name": "Long", "steps": chain})
    assert long_chain.status == "completed", long_chain.error
    document = {
        "name": "Wide",
        "steps": [
            {"id": "each", "type": "for_each", "items": "{{ ids }}", "concurrency": 100,
             "body": [{"id": "mark", "type": "set", "values": {"x": "{{ item }}"}},
                      {"id": "again", "type": "set", "values": {"y": "{{ item }}"}}]},
        ],
    }  # fmt: skip
    ids = list(range(REVISITS_PER_TASK))
    _, wide = await run_once(time_env, engine, document, {"ids": ids})
    assert wide.status == "completed", wide.error


async def test_a_for_each_over_more_items_than_its_cap_fails_the_step_and_runs_no_body(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Too many",
        "steps": [
            {"id": "each", "type": "for_each", "items": "{{ ids }}", "max_items": 3,
             "on_error": "stop", "body": [{"id": "mark", "type": "set", "values": {"x": 1}}]},
        ],
    }  # fmt: skip
    run_id, result = await run_once(time_env, engine, document, {"ids": [1, 2, 3, 4]})
    assert (result.status, result.path) == ("failed", ["each"])
    step = step_rows(engine, run_id)["each"]
    assert step.status == "failed"
    assert step.error == {
        "type": "too_many_items",
        "message": "4 items, more than this for_each takes (3: its max_items)",
        "retryable": False,
    }
    _, within = await run_once(time_env, engine, document, {"ids": [1, 2, 3]})
    assert within.status == "completed"
