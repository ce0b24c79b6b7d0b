"""Runs moving to another version (``relay.migrate``), in virtual time: the wait goes on as
planned, no step already done runs again, and a run that cannot move stays on its version."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from definitions.loading import load_definition
from storage.db import session_scope
from storage.models import MigrationRun
from tests.helpers.peers import RecordingHttpServer
from tests.helpers.temporal import relay_worker, run_input, start_run
from tests.workflows.flow_helpers import call, execution_chain, step_rows, step_waiting
from workflows.contract import MIGRATE_SIGNAL, MigrateRequest

V1 = {
    "name": "Follow-up",
    "steps": [
        call("first", "/first"),
        {"id": "pause", "type": "wait", "duration": "2d"},
        call("second", "/second-broken"),
    ],
}


def edited(edit: Any) -> dict[str, Any]:
    document = copy.deepcopy(V1)
    edit(document["steps"])
    return load_definition(document).canonical()


def fixed(steps: list[dict[str, Any]]) -> None:
    steps[2]["url"] = "{{ url }}/second"
    steps.append(call("third", "/third"))


def longer(steps: list[dict[str, Any]]) -> None:
    fixed(steps)
    steps[1]["duration"] = "3d"


def removed(steps: list[dict[str, Any]]) -> None:
    steps[1] = {"id": "hold", "type": "wait", "duration": "1d"}


def outcome(engine: Engine, run_id: str) -> MigrationRun:
    with session_scope(engine) as session:
        return session.exec(select(MigrationRun).where(MigrationRun.run_id == run_id)).one()


async def migrated(
    env: WorkflowEnvironment, engine: Engine, edit: Any, mapping: dict[str, str] | None = None
) -> tuple[str, Any, list[str], Any]:
    """A run of V1 signalled at its wait to move to V1 edited by ``edit``; its id, result,
    the peer's paths and the chain of its executions."""
    with RecordingHttpServer() as peer:
        async with relay_worker(env.client, engine) as worker:
            handle = await start_run(env.client, worker, run_input(V1, {"url": peer.base_url}))
            await step_waiting(engine, handle, "pause")
            request = MigrateRequest("m_test", 2, edited(edit), mapping or {})
            await handle.signal(MIGRATE_SIGNAL, request)
            result = await handle.result()
            chain = await execution_chain(env.client, handle)
    return handle.id, result, [r.path for r in peer.requests], chain


def waited(engine: Engine, run_id: str) -> timedelta:
    step = step_rows(engine, run_id)["pause"]
    assert step.status == "completed" and step.started_at and step.completed_at
    return step.completed_at - step.started_at


async def test_a_waiting_run_moves_keeps_its_wait_and_runs_no_step_again(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    run_id, result, paths, chain = await migrated(time_env, engine, fixed)
    assert paths == ["/first", "/second", "/third"]  # "first" once; the fixed second
    assert chain[0] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    assert result.status == "completed"
    assert timedelta(days=2) <= waited(engine, run_id) < timedelta(days=2, minutes=1)
    keys = [s.step_key for s in step_rows(engine, run_id).values()]
    assert keys == ["first", "pause", "second", "third"]  # the wait kept its one step
    row = outcome(engine, run_id)
    assert (row.status, row.node_id, row.target, row.wait) == ("moved", "pause", "pause", "kept")
    assert (row.from_version, row.to_version) == (1, 2)


async def test_a_wait_whose_configuration_changed_counts_from_when_it_began(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    run_id, _, paths, _ = await migrated(time_env, engine, longer)
    assert paths == ["/first", "/second", "/third"]
    assert timedelta(days=3) <= waited(engine, run_id) < timedelta(days=3, minutes=1)
    assert outcome(engine, run_id).wait == "recomputed"


async def test_a_run_waiting_at_a_removed_node_stays_on_its_version(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    run_id, result, paths, chain = await migrated(time_env, engine, removed)
    assert paths == ["/first", "/second-broken"]
    assert chain == [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED]
    assert result.status == "completed"
    row = outcome(engine, run_id)
    assert (row.status, row.reason, row.target) == ("cannot_move", "node_removed", None)


async def test_a_mapped_wait_continues_at_its_new_node_and_closes_the_old_step(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    run_id, _, paths, _ = await migrated(time_env, engine, removed, {"pause": "hold"})
    assert paths == ["/first", "/second-broken"]
    steps = step_rows(engine, run_id)
    assert steps["pause"].status == "cancelled"
    assert steps["pause"].output["moved_to"] == "hold"
    hold = steps["hold"]
    assert hold.status == "completed" and hold.started_at and hold.completed_at
    # The new wait (1 day) counts from when the old one began.
    assert hold.started_at == steps["pause"].started_at
    assert timedelta(days=1) <= hold.completed_at - hold.started_at < timedelta(days=1, minutes=1)


LOOPING: dict[str, Any] = {
    "name": "Each item, a day apart",
    "steps": [
        call("first", "/first"),
        {"id": "each", "type": "for_each", "items": "{{ ids }}",
         "body": [{"id": "pause", "type": "wait", "duration": "1d"}, call("item", "/item/{{ item }}")]},
        call("after", "/after-broken"),
    ],
}  # fmt: skip


async def test_a_run_inside_an_unchanged_loop_finishes_it_then_moves(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    new = copy.deepcopy(LOOPING)
    new["steps"][2] = call("after", "/after")  # the loop as it was; the step after it fixed
    new["steps"].append(call("more", "/more"))
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            data = {"url": peer.base_url, "ids": [1, 2]}
            handle = await start_run(time_env.client, worker, run_input(LOOPING, data))
            await step_waiting(engine, handle, "pause[0]")
            request = MigrateRequest("m_loop", 2, load_definition(new).canonical(), {})
            await handle.signal(MIGRATE_SIGNAL, request)
            result = await handle.result()
            chain = await execution_chain(time_env.client, handle)
    # The loop ran to its end on version 1, each item once; then version 2 from "after" on.
    paths = [r.path for r in peer.requests]
    assert paths == ["/first", "/item/1", "/item/2", "/after", "/more"]
    assert chain[0] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW
    assert result.status == "completed"
    steps = step_rows(engine, handle.id)
    assert [k for k in steps if k != "each"] == [
        "first", "pause[0]", "item[0]", "pause[1]", "item[1]", "after", "more",
    ]  # fmt: skip
    assert all(step.status == "completed" for step in steps.values())
    row = outcome(engine, handle.id)
    assert (row.status, row.node_id, row.target) == ("moved", "after", "after")
    assert (row.from_version, row.to_version) == (1, 2)
