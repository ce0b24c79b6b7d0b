"""for_each, parallel and long loops that continue-as-new, on the time-skipping server."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from tests.helpers.db import run_row
from tests.helpers.peers import RecordingHttpServer
from tests.helpers.temporal import relay_worker, run_input, start_run
from tests.workflows.flow_helpers import (
    call,
    execution_chain,
    run_once,
    step_rows,
)

# --------------------------------------------------------------------------------- for_each


async def test_for_each_in_order_with_the_item_variable_and_loop_index(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Each attendee",
        "steps": [
            {"id": "each", "type": "for_each", "items": "{{ attendees }}", "as": "person",
             "body": [call("call", "/{{ loop.index }}",
                           body={"name": "{{ person.name }}", "last": "{{ loop.last }}"})]},
            call("after", "/after"),
        ],
    }  # fmt: skip
    attendees = [{"name": "Ann"}, {"name": "Bo"}, {"name": "Cy"}]
    with RecordingHttpServer() as peer:
        run_id, result = await run_once(
            time_env, engine, document, {"url": peer.base_url, "attendees": attendees}
        )
    assert result.status == "completed"
    assert [(r.path, r.json if r.body else None) for r in peer.requests] == [
        ("/0", {"name": "Ann", "last": False}),
        ("/1", {"name": "Bo", "last": False}),
        ("/2", {"name": "Cy", "last": True}),
        ("/after", None),
    ]
    keys = [r.headers["idempotency-key"] for r in peer.requests]
    assert len(set(keys)) == 4
    assert keys[:3] == [f"{run_id}:call[{i}]" for i in range(3)]
    steps = step_rows(engine, run_id)
    assert [k for k in steps if k.startswith("call")] == ["call[0]", "call[1]", "call[2]"]
    assert all(steps[f"call[{i}]"].status == "completed" for i in range(3))
    assert (steps["each"].status, steps["each"].output) == ("completed", {"count": 3})


async def test_for_each_with_concurrency_5_runs_every_item_once(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Fan out",
        "steps": [{"id": "each", "type": "for_each", "items": "{{ ids }}", "concurrency": 5,
                   "body": [call("call", "/{{ item }}")]}],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        run_id, result = await run_once(
            time_env, engine, document, {"url": peer.base_url, "ids": list(range(12))}
        )
    assert result.status == "completed"
    assert sorted(int(r.path[1:]) for r in peer.requests) == list(range(12))
    assert len({r.headers["idempotency-key"] for r in peer.requests}) == 12
    steps = step_rows(engine, run_id)
    assert {k for k in steps if k.startswith("call")} == {f"call[{i}]" for i in range(12)}
    assert run_row(engine, run_id).status == "completed"  # type: ignore[union-attr]


async def test_for_each_over_an_empty_list_runs_no_body(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Nothing to do",
        "steps": [
            {"id": "each", "type": "for_each", "items": "{{ ids }}", "body": [call("call", "/x")]},
            call("after", "/after"),
        ],
    }
    with RecordingHttpServer() as peer:
        run_id, result = await run_once(
            time_env, engine, document, {"url": peer.base_url, "ids": []}
        )
    assert result.path == ["each", "after"]
    assert [r.path for r in peer.requests] == ["/after"]
    assert step_rows(engine, run_id)["each"].output == {"count": 0}


async def test_for_each_items_not_a_list_fails_the_step_under_on_error(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    def document(on_error: str) -> dict[str, Any]:
        return {
            "name": "Bad items",
            "steps": [
                {"id": "each", "type": "for_each", "items": "{{ ids }}", "on_error": on_error,
                 "body": [call("call", "/x")]},
                call("after", "/after"),
            ],
        }  # fmt: skip

    with RecordingHttpServer() as peer:
        data = {"url": peer.base_url, "ids": "not-a-list"}
        went_on_id, went_on = await run_once(time_env, engine, document("continue"), data)
        stopped_id, stopped = await run_once(time_env, engine, document("stop"), data)
    assert (went_on.status, went_on.path) == ("completed", ["each", "after"])
    assert (stopped.status, stopped.path) == ("failed", ["each"])
    assert [r.path for r in peer.requests] == ["/after"]
    for run_id in (went_on_id, stopped_id):
        step = step_rows(engine, run_id)["each"]
        assert step.status == "failed"
        assert step.error == {
            "type": "invalid_items", "message": "items must be a list, not str", "retryable": False
        }  # fmt: skip
    assert run_row(engine, stopped_id).status == "failed"  # type: ignore[union-attr]


async def test_for_each_body_failure_with_on_error_stop_fails_the_run(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Strict loop",
        "steps": [
            {"id": "each", "type": "for_each", "items": "{{ ids }}",
             "body": [call("call", "/{{ item }}", on_error="stop")]},
            call("after", "/after"),
        ],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        peer.script(200)
        peer.script(404)
        run_id, result = await run_once(
            time_env, engine, document, {"url": peer.base_url, "ids": [1, 2, 3]}
        )
    assert result.status == "failed"
    assert [r.path for r in peer.requests] == ["/1", "/2"]
    steps = step_rows(engine, run_id)
    assert (steps["call[0]"].status, steps["call[1]"].status) == ("completed", "failed")
    assert "call[2]" not in steps and "after" not in steps
    row = run_row(engine, run_id)
    assert row is not None and row.status == "failed"
    assert row.error is not None and row.error["node_id"] == "call"


# --------------------------------------------------------------------------------- parallel


async def test_parallel_join_all_runs_every_branch_then_goes_on(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Both",
        "steps": [
            {"id": "both", "type": "parallel",
             "branches": [[call("a", "/a"), call("a2", "/a2")], [call("b", "/b")]]},
            call("after", "/after"),
        ],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        run_id, result = await run_once(time_env, engine, document, {"url": peer.base_url})
    assert result.status == "completed"
    assert sorted(result.path) == sorted(["both", "a", "a2", "b", "after"])
    assert result.path[0] == "both" and result.path[-1] == "after"
    assert sorted(r.path for r in peer.requests) == ["/a", "/a2", "/after", "/b"]
    assert peer.requests[-1].path == "/after"
    steps = step_rows(engine, run_id)
    assert steps["both"].output == {"branches": 2, "join": "all"}
    assert {s.status for s in steps.values()} == {"completed"}


async def test_parallel_join_any_ends_with_the_first_branch_and_cancels_the_wait(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "First wins",
        "steps": [
            {"id": "race", "type": "parallel", "join": "any", "branches": [
                [{"id": "slow", "type": "wait", "duration": "1d"}, call("late", "/late")],
                [call("fast", "/fast")],
            ]},
            call("after", "/after"),
        ],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        run_id, result = await run_once(time_env, engine, document, {"url": peer.base_url})
    assert result.status == "completed"
    assert [r.path for r in peer.requests] == ["/fast", "/after"]
    steps = step_rows(engine, run_id)
    assert steps["slow"].status == "cancelled"
    assert steps["fast"].status == "completed"
    assert "late" not in steps
    assert run_row(engine, run_id).status == "completed"  # type: ignore[union-attr]


# --------------------------------------------------------------------------------- long loops


async def test_a_long_loop_continues_as_new_and_stays_one_run(
    time_env: WorkflowEnvironment, engine: Engine, monkeypatch: Any
) -> None:
    monkeypatch.setattr("workflows.nodes.base.CONTINUE_AS_NEW_AFTER_EVENTS", 40)
    document = {
        "name": "Tally",
        "steps": [
            {"id": "each", "type": "for_each", "items": "{{ range(2000) | list }}",
             "body": [{"id": "add", "type": "set", "values": {"last": "{{ item }}"}}]},
            call("done", "/done", body={"last": "{{ vars.last }}"}),
        ],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            handle = await start_run(
                time_env.client, worker, run_input(document, {"url": peer.base_url})
            )
            result = await handle.result()
            executions = await execution_chain(time_env.client, handle)
    assert result.status == "completed"
    assert len(executions) > 2, "the loop should have continued as new along the way"
    assert executions[-1] == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED
    assert [r.json for r in peer.requests] == [{"last": 1999}]
    steps = step_rows(engine, handle.id)  # one logical run: every step under one run id
    assert set(steps) == {"each", "done"} | {f"add[{i}]" for i in range(2000)}
    assert {step.status for step in steps.values()} == {"completed"}
    assert steps["each"].output == {"count": 2000}
    assert run_row(engine, handle.id).status == "completed"  # type: ignore[union-attr]
