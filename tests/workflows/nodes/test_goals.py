"""Goals: reached during a wait, by an edge, or as the run starts."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from tests.helpers.db import run_row, watches_of
from tests.helpers.peers import RecordingHttpServer
from tests.helpers.temporal import relay_worker, run_input, start_run
from tests.workflows.flow_helpers import (
    ENTITY,
    call,
    event,
    run_once,
    step_rows,
    step_waiting,
)


async def test_goal_reached_during_a_wait_cancels_it_and_ends_the_run(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Nurture",
        "nodes": [
            {"id": "pause", "type": "wait", "duration": "3d"},
            call("nudge", "/nudge"),
            {"id": "converted", "type": "goal",
             "condition": {"field": "plan", "operator": "equals", "value": "paid"}},
        ],
        "edges": [{"from": "trigger", "to": "pause"}, {"from": "pause", "to": "nudge"}],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            data = {"url": peer.base_url, "plan": "trial"}
            handle = await start_run(
                time_env.client, worker, run_input(document, data, entity=ENTITY)
            )
            await step_waiting(engine, handle, "pause")
            assert watches_of(engine, handle.id) == {(ENTITY, "*")}  # the goal's
            await handle.signal("relay.event", event("contact.updated", {"plan": "paid"}))
            result = await handle.result()
    assert (result.status, result.path) == ("goal_reached", ["pause", "converted"])
    assert watches_of(engine, handle.id) == set()  # no event is routed to the ended run
    assert peer.requests == []
    steps = step_rows(engine, handle.id)
    assert steps["pause"].status == "cancelled"
    assert "nudge" not in steps
    assert (steps["converted"].status, steps["converted"].output) == (
        "completed",
        {"goal": "converted"},
    )
    row = run_row(engine, handle.id)
    assert row is not None and (row.status, row.goal) == ("goal_reached", "converted")


async def test_a_run_ended_by_its_last_action_drops_the_watch_its_goal_kept(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    """The last action records the run's end itself (``ActionInput.finishes_run``): the goal's
    watch goes with it, as it does when the workflow records the end."""
    document = {
        "name": "Nurture",
        "nodes": [
            call("nudge", "/nudge"),
            {"id": "converted", "type": "goal",
             "condition": {"field": "plan", "operator": "equals", "value": "paid"}},
        ],
        "edges": [{"from": "trigger", "to": "nudge"}],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        data = {"url": peer.base_url, "plan": "trial"}
        run_id, result = await run_once(time_env, engine, document, data, entity=ENTITY)
    assert (result.status, result.path) == ("completed", ["nudge"])
    assert len(peer.requests) == 1
    assert run_row(engine, run_id).status == "completed"  # type: ignore[union-attr]
    assert watches_of(engine, run_id) == set()


async def test_goal_reached_by_an_edge_counts_only_when_its_condition_holds(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Checkpoint",
        "steps": [
            call("first", "/first"),
            {"id": "booked", "type": "goal", "value": 10,
             "condition": {"field": "steps.first.output.json.booked", "operator": "equals",
                           "value": True}},
            call("after", "/after"),
        ],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        peer.script(200, {"booked": True})
        peer.script(200, {"booked": False})
        reached_id, reached = await run_once(time_env, engine, document, {"url": peer.base_url})
        missed_id, missed = await run_once(time_env, engine, document, {"url": peer.base_url})
    assert (reached.status, reached.path) == ("goal_reached", ["first", "booked", "after"])
    assert (missed.status, missed.path) == ("completed", ["first", "booked", "after"])
    assert step_rows(engine, reached_id)["booked"].output == {"goal": "booked", "value": 10}
    assert step_rows(engine, missed_id)["booked"].status == "skipped"
    assert run_row(engine, reached_id).goal == "booked"  # type: ignore[union-attr]
    assert run_row(engine, missed_id).goal is None  # type: ignore[union-attr]


async def test_a_goal_met_as_the_run_starts_is_reached_at_once(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Already there",
        "steps": [
            {"id": "booked", "type": "goal",
             "condition": {"field": "booked", "operator": "equals", "value": True}},
            call("after", "/after"),
        ],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        data = {"url": peer.base_url, "booked": True}
        run_id, result = await run_once(time_env, engine, document, data)
    assert (result.status, result.path) == ("goal_reached", ["booked", "after"])
    assert list(step_rows(engine, run_id)) == ["booked", "after"]
