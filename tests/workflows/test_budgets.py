"""Hostile definitions are contained at run time: a cycle whose wait never pauses fails the run
naming the node, instead of spinning until Temporal's deadlock detector fires."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from tests.helpers.db import run_row
from tests.workflows.flow_helpers import run_once, step_rows
from workflows.policies import REVISITS_PER_TASK


async def test_a_cycle_whose_wait_is_skipped_fails_the_run_naming_the_node(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    never = {"field": "go", "operator": "equals", "value": "yes"}
    document = {
        "name": "Spinner",
        "trigger": {"type": "manual"},
        "nodes": [
            {"id": "check", "type": "condition", "condition": never},
            {"id": "pause", "type": "wait", "duration": "1d", "when": never},
            {"id": "done", "type": "stop"},
        ],
        "edges": [
            {"from": "trigger", "to": "check"},
            {"from": "check", "to": "pause", "when": "false"},
            {"from": "pause", "to": "check"},
            {"from": "check", "to": "done", "when": "true"},
        ],
    }
    run_id, result = await run_once(time_env, engine, document, {"go": "no"})
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
