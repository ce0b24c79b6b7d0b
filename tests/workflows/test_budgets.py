"""Hostile definitions are contained at run time: a cycle whose wait never pauses fails the run
naming the node, instead of spinning until Temporal's deadlock detector fires."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from tests.helpers.db import run_row
from tests.workflows.flow_helpers import run_once


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
    row = run_row(engine, run_id)
    assert row is not None and row.status == "failed"
