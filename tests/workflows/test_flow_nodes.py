"""Every flow node (SPEC §2.4) and edge label, run by the interpreter on the time-skipping server
with the real activities: what a user sees is the path taken, the requests a peer received, the
recorded steps and the run's row."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import col, select
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from definitions.validation import load_definition
from storage.db import session_scope
from storage.models import Run, RunStep, Tenant
from storage.tenants import create_tenant
from storage.workflows import create_workflow, set_status
from tests.helpers.db import run_row
from tests.helpers.peers import RecordingHttpServer
from tests.helpers.temporal import relay_worker, run_input, start_run
from worker.composition import PASSTHROUGH
from workflows.inputs import RunResult
from workflows.interpreter import RelayRun

ENTITY = "booking-1"


# --------------------------------------------------------------------------------- helpers


def step_rows(engine: Engine, run_id: str) -> dict[str, RunStep]:
    """The run's steps by step key (``call[0]``, ``call[1]``…), in the order they began."""
    with session_scope(engine) as session:
        rows = session.exec(
            select(RunStep).where(RunStep.run_id == run_id).order_by(col(RunStep.seq))
        )
        return {row.step_key: row for row in rows}


def event(kind: str, data: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """An event as the API delivers it to a watching run."""
    return {
        "type": kind,
        "id": event_id or f"evt_{uuid.uuid4().hex[:8]}",
        "occurred_at": "2026-01-02T00:00:00+00:00",
        "entity": ENTITY,
        "data": data,
        "previous": None,
    }


async def until(check: Callable[[], bool], within: float = 10.0) -> None:
    deadline = time.monotonic() + within
    while not check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.02)


async def step_waiting(engine: Engine, handle: WorkflowHandle[Any, Any], key: str) -> None:
    """The run reached ``key`` and waits there (so an event sent now is one it waits for)."""

    def waiting() -> bool:
        step = step_rows(engine, handle.id).get(key)
        return step is not None and step.status == "waiting"

    await until(waiting)


async def run_once(
    env: WorkflowEnvironment,
    engine: Engine,
    document: dict[str, Any],
    data: dict[str, Any] | None = None,
    **options: Any,
) -> tuple[str, RunResult]:
    async with relay_worker(env.client, engine) as worker:
        handle = await start_run(env.client, worker, run_input(document, data, **options))
        return handle.id, await handle.result()


def call(node_id: str, path: str, **config: Any) -> dict[str, Any]:
    """An ``http_request`` step to the peer (its base URL is the run's ``url``)."""
    return {"id": node_id, "type": "http_request", "url": "{{ url }}" + path, **config}


# --------------------------------------------------------------------------------- switch


async def test_switch_on_a_value_follows_the_equal_case_else_default(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "By plan",
        "steps": [
            {"id": "plan", "type": "switch", "value": "{{ plan }}",
             "cases": {"pro": [call("pro", "/pro")], "team": [call("team", "/team")]},
             "default": [call("other", "/other")]},
            call("after", "/after"),
        ],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        paths = []
        for plan in ("team", "free"):
            run_id, result = await run_once(
                time_env, engine, document, {"url": peer.base_url, "plan": plan}
            )
            paths.append(result.path)
            assert step_rows(engine, run_id)["plan"].output == {
                "case": plan if plan == "team" else "default"
            }
    assert paths == [["plan", "team", "after"], ["plan", "other", "after"]]
    assert [r.path for r in peer.requests] == ["/team", "/after", "/other", "/after"]


async def test_switch_on_conditions_takes_the_first_case_that_holds(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "By score",
        "nodes": [
            {"id": "score", "type": "switch", "cases": [
                {"name": "hot", "when": {"field": "score", "operator": "gte", "value": 80}},
                {"name": "warm", "when": {"field": "score", "operator": "gte", "value": 50}},
            ]},
            call("hot", "/hot"), call("warm", "/warm"), call("cold", "/cold"),
        ],
        "edges": [
            {"from": "trigger", "to": "score"},
            {"from": "score", "to": "hot", "when": "hot"},
            {"from": "score", "to": "warm", "when": "warm"},
            {"from": "score", "to": "cold", "when": "default"},
        ],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        for score in (95, 60, 10):
            await run_once(time_env, engine, document, {"url": peer.base_url, "score": score})
    assert [r.path for r in peer.requests] == ["/hot", "/warm", "/cold"]


async def test_a_case_named_like_a_node_follows_its_edge_not_the_node(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Tiers",
        "nodes": [
            {"id": "tier", "type": "switch", "value": "{{ tier }}",
             "cases": [{"name": "vip", "equals": "vip"}]},
            call("gold", "/gold"), call("std", "/std"), call("vip", "/vip"),
        ],
        "edges": [
            {"from": "trigger", "to": "tier"},
            {"from": "tier", "to": "gold", "when": "vip"},
            {"from": "tier", "to": "std", "when": "default"},
            {"from": "std", "to": "vip"},
        ],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        data = {"url": peer.base_url, "tier": "vip"}
        _, result = await run_once(time_env, engine, document, data)
    assert result.path == ["tier", "gold"]
    assert [r.path for r in peer.requests] == ["/gold"]


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


# --------------------------------------------------------------------------------- split


async def test_split_records_its_variant_and_replays_to_the_same_choice(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "A/B",
        "steps": [
            {"id": "ab", "type": "split", "variants": [
                {"name": "A", "weight": 50, "steps": [call("a", "/a")]},
                {"name": "B", "weight": 50, "steps": [call("b", "/b")]},
            ]},
            call("after", "/after"),
        ],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            handle = await start_run(
                time_env.client, worker, run_input(document, {"url": peer.base_url})
            )
            result = await handle.result()
            history = await handle.fetch_history()
    variant = step_rows(engine, handle.id)["ab"].output["variant"]
    assert variant in ("A", "B")
    assert result.path == ["ab", variant.lower(), "after"]
    assert [r.path for r in peer.requests] == [f"/{variant.lower()}", "/after"]
    assert run_row(engine, handle.id).variant == variant  # type: ignore[union-attr]
    replayer = Replayer(
        workflows=[RelayRun],
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
        ),
    )
    await replayer.replay_workflow(history)  # a different choice would be non-determinism


async def test_split_spreads_runs_by_weight(time_env: WorkflowEnvironment, engine: Engine) -> None:
    document = {
        "name": "Weighted",
        "steps": [
            {"id": "ab", "type": "split", "variants": [
                {"name": "A", "weight": 20}, {"name": "B", "weight": 30}, {"name": "C", "weight": 50}
            ]},
            {"id": "end", "type": "stop"},
        ],
    }  # fmt: skip
    runs = 1000
    # Nothing here needs virtual time; skipping it while hundreds of workflow tasks wait for
    # the worker would let the test server leap to the runs' 10-year timeout.
    with time_env.auto_time_skipping_disabled():
        async with relay_worker(time_env.client, engine) as worker:
            handles = await asyncio.gather(
                *(start_run(time_env.client, worker, run_input(document)) for _ in range(runs))
            )
            await asyncio.gather(*(handle.result() for handle in handles))
    with session_scope(engine) as session:
        ids = [handle.id for handle in handles]
        variants = Counter(session.exec(select(Run.variant).where(col(Run.id).in_(ids))))
    assert sum(variants.values()) == runs
    # 1,000 runs: one standard deviation is at most 1.6 points; 5 points is over three.
    for name, weight in (("A", 20), ("B", 30), ("C", 50)):
        assert abs(100 * variants[name] / runs - weight) < 5, variants


# --------------------------------------------------------------------------------- set, stop


async def test_set_computes_variables_and_an_action_output_is_reusable(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Compute",
        "steps": [
            {"id": "calc", "type": "set", "values": {"total": "{{ amount * 1.2 }}"}},
            call("quote", "/quote", output="quote_reply", body={"total": "{{ vars.total }}"}),
            call("use", "/use", body={
                "total": "{{ total }}",
                "token": "{{ steps.quote.output.json.token }}",
                "status": "{{ quote_reply.status }}",
                "same": "{{ vars.quote_reply.json.token }}",
            }),
        ],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        peer.script(200, {"token": "tk-1"})
        run_id, result = await run_once(
            time_env, engine, document, {"url": peer.base_url, "amount": 100}
        )
    assert result.status == "completed"
    assert [r.json for r in peer.requests] == [
        {"total": 120.0},
        {"total": 120.0, "token": "tk-1", "status": 200, "same": "tk-1"},
    ]
    assert step_rows(engine, run_id)["calc"].output == {"total": 120.0}
    assert result.vars["total"] == 120.0
    assert result.vars["quote_reply"]["json"] == {"token": "tk-1"}


async def test_stop_ends_the_run_with_its_status_and_nothing_after_runs(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Stops",
        "steps": [
            call("before", "/before"),
            {"id": "optout", "type": "condition",
             "condition": {"field": "opted_out", "operator": "equals", "value": True},
             "then": [{"id": "halt", "type": "stop", "status": "cancelled"}]},
            call("after", "/after"),
        ],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        data = {"url": peer.base_url, "opted_out": True}
        run_id, result = await run_once(time_env, engine, document, data)
    assert (result.status, result.path) == ("cancelled", ["before", "optout", "halt"])
    assert [r.path for r in peer.requests] == ["/before"]
    steps = step_rows(engine, run_id)
    assert list(steps) == ["before", "optout", "halt"]
    assert steps["halt"].status == "completed"
    assert run_row(engine, run_id).status == "cancelled"  # type: ignore[union-attr]


# --------------------------------------------------------------------------------- waits


def awaiting_confirmation(**extra: Any) -> dict[str, Any]:
    return {
        "name": "Await confirmation",
        "nodes": [
            {"id": "confirm", "type": "wait_for_event", "event": "booking.confirmed",
             "timeout": "2d", **extra},
            call("received", "/received", body={"by": "{{ steps.confirm.output.data.by }}"}),
            call("expired", "/expired"),
        ],
        "edges": [
            {"from": "trigger", "to": "confirm"},
            {"from": "confirm", "to": "received", "when": "received"},
            {"from": "confirm", "to": "expired", "when": "timeout"},
        ],
    }  # fmt: skip


async def test_wait_for_event_follows_received_with_the_awaited_event_as_output(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = awaiting_confirmation(
        condition={"field": "event.data.by", "operator": "not_equals", "value": "bot"}
    )
    confirmed = event("booking.confirmed", {"by": "ann"})
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            data = {"url": peer.base_url}
            handle = await start_run(
                time_env.client, worker, run_input(document, data, entity=ENTITY)
            )
            await step_waiting(engine, handle, "confirm")
            await handle.signal("relay.event", event("booking.cancelled", {"by": "ann"}))
            await handle.signal("relay.event", event("booking.confirmed", {"by": "bot"}))
            other = {**event("booking.confirmed", {"by": "cy"}), "entity": "booking-2"}
            await handle.signal("relay.event", other)
            await handle.signal("relay.event", confirmed)
            result = await handle.result()
    assert result.path == ["confirm", "received"]
    assert [(r.path, r.json) for r in peer.requests] == [("/received", {"by": "ann"})]
    step = step_rows(engine, handle.id)["confirm"]
    assert (step.status, step.output) == ("completed", confirmed)


async def test_wait_for_event_follows_timeout_in_virtual_time(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    with RecordingHttpServer() as peer:
        began = time.monotonic()
        run_id, result = await run_once(
            time_env, engine, awaiting_confirmation(), {"url": peer.base_url}, entity=ENTITY
        )
    assert time.monotonic() - began < 5
    assert result.path == ["confirm", "expired"]
    assert [r.path for r in peer.requests] == ["/expired"]
    step = step_rows(engine, run_id)["confirm"]
    assert step.status == "completed"
    assert step.output == {"event": "booking.confirmed", "timed_out": True}


async def test_the_same_event_delivered_twice_counts_once(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Two confirmations",
        "steps": [
            {"id": "first", "type": "wait_for_event", "event": "booking.confirmed",
             "timeout": "1d"},
            {"id": "second", "type": "wait_for_event", "event": "booking.confirmed",
             "timeout": "1d", "on_timeout": [call("once", "/once")]},
        ],
    }  # fmt: skip
    confirmed = event("booking.confirmed", {})
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            handle = await start_run(
                time_env.client, worker, run_input(document, {"url": peer.base_url}, entity=ENTITY)
            )
            await step_waiting(engine, handle, "first")
            await handle.signal("relay.event", confirmed)
            await step_waiting(engine, handle, "second")
            await handle.signal("relay.event", confirmed)  # redelivered: not a second one
            result = await handle.result()
    assert result.path == ["first", "second", "once"]
    steps = step_rows(engine, handle.id)
    assert steps["first"].output == confirmed
    assert steps["second"].output["timed_out"] is True


def awaiting_payment(**wait: Any) -> dict[str, Any]:
    return {
        "name": "Await payment",
        "steps": [
            {"id": "paid", "type": "wait_condition",
             "condition": {"field": "invoice_status", "operator": "equals", "value": "paid"},
             "timeout": "3d", "on_timeout": [call("chase", "/chase")], **wait},
            call("thanks", "/thanks"),
        ],
    }  # fmt: skip


async def test_wait_condition_that_holds_at_once_does_not_wait(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    with RecordingHttpServer() as peer:
        data = {"url": peer.base_url, "invoice_status": "paid"}
        run_id, result = await run_once(time_env, engine, awaiting_payment(), data, entity=ENTITY)
    assert result.path == ["paid", "thanks"]
    assert [r.path for r in peer.requests] == ["/thanks"]
    assert step_rows(engine, run_id)["paid"].output == {"held": True}


async def test_wait_condition_goes_on_when_an_event_makes_it_hold(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            data = {"url": peer.base_url, "invoice_status": "open"}
            handle = await start_run(
                time_env.client, worker, run_input(awaiting_payment(), data, entity=ENTITY)
            )
            await step_waiting(engine, handle, "paid")
            await handle.signal("relay.event", event("invoice.updated", {"invoice_status": "due"}))
            await handle.signal("relay.event", event("invoice.paid", {"invoice_status": "paid"}))
            result = await handle.result()
    assert result.path == ["paid", "thanks"]
    assert [r.path for r in peer.requests] == ["/thanks"]
    assert step_rows(engine, handle.id)["paid"].status == "completed"


async def test_wait_condition_follows_timeout_when_it_never_holds(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    with RecordingHttpServer() as peer:
        data = {"url": peer.base_url, "invoice_status": "open"}
        run_id, result = await run_once(time_env, engine, awaiting_payment(), data, entity=ENTITY)
    assert result.path == ["paid", "chase", "thanks"]
    assert [r.path for r in peer.requests] == ["/chase", "/thanks"]
    assert step_rows(engine, run_id)["paid"].output == {"timed_out": True}


# --------------------------------------------------------------------------------- goals


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
            await handle.signal("relay.event", event("contact.updated", {"plan": "paid"}))
            result = await handle.result()
    assert (result.status, result.path) == ("goal_reached", ["pause", "converted"])
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


# --------------------------------------------------------------------------------- sub_workflow


def stored_workflow(engine: Engine, tenant_id: str, document: dict[str, Any]) -> str:
    canonical = load_definition(document).canonical()
    with session_scope(engine) as session:
        if session.get(Tenant, tenant_id) is None:
            create_tenant(session, "Flow tests", tenant_id)
        workflow = create_workflow(session, tenant_id, canonical, document)
        set_status(session, workflow, "active")
        return workflow.id


async def test_sub_workflow_runs_a_child_and_its_result_is_the_step_output(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    child = {
        "name": "Greeter",
        "steps": [
            {"id": "greet", "type": "set", "values": {"greeting": "Hi {{ name }}"}},
            call("hello", "/child", body={"greeting": "{{ greeting }}"}),
        ],
    }
    tenant = f"t_{uuid.uuid4().hex[:8]}"
    child_id = stored_workflow(engine, tenant, child)
    document = {
        "name": "Parent",
        "steps": [
            {"id": "sub", "type": "sub_workflow", "workflow_id": child_id, "output": "greeter",
             "input": {"name": "{{ name }}", "url": "{{ url }}"}},
            call("after", "/after", body={"said": "{{ steps.sub.output.vars.greeting }}",
                                          "status": "{{ greeter.status }}"}),
        ],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        data = {"url": peer.base_url, "name": "Ann"}
        run_id, result = await run_once(time_env, engine, document, data, tenant=tenant)
    assert (result.status, result.path) == ("completed", ["sub", "after"])
    assert [(r.path, r.json) for r in peer.requests] == [
        ("/child", {"greeting": "Hi Ann"}),
        ("/after", {"said": "Hi Ann", "status": "completed"}),
    ]
    step = step_rows(engine, run_id)["sub"]
    assert step.status == "completed"
    assert step.output["status"] == "completed"
    assert step.output["vars"] == {"greeting": "Hi Ann"}
    child_run = run_row(engine, step.output["run_id"])
    assert child_run is not None and child_run.status == "completed"
    assert child_run.workflow_id == child_id


async def test_sub_workflow_of_an_unknown_workflow_fails_the_step_clearly(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Parent of nothing",
        "steps": [
            {"id": "sub", "type": "sub_workflow", "workflow_id": "wf_missing"},
            call("after", "/after"),
        ],
    }
    with RecordingHttpServer() as peer:
        run_id, result = await run_once(time_env, engine, document, {"url": peer.base_url})
    assert (result.status, result.path) == ("completed", ["sub", "after"])
    step = step_rows(engine, run_id)["sub"]
    assert step.status == "failed"
    assert step.error == {
        "type": "not_found", "message": "no workflow 'wf_missing'", "retryable": False
    }  # fmt: skip


# --------------------------------------------------------------------------------- errors


async def test_on_error_node_id_and_error_edge_route_a_failed_step(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    after = [
        call("next", "/next"),
        call("fallback", "/fallback", body={"error": "{{ steps.hook.error.type }}"}),
    ]
    by_on_error = {
        "name": "Fallback by on_error",
        "nodes": [call("hook", "/hook", on_error="fallback"), *after],
        "edges": [{"from": "trigger", "to": "hook"}, {"from": "hook", "to": "next"}],
    }
    by_edge = {
        "name": "Fallback by edge",
        "nodes": [call("hook", "/hook"), *after],
        "edges": [
            {"from": "trigger", "to": "hook"},
            {"from": "hook", "to": "next"},
            {"from": "hook", "to": "fallback", "when": "error"},
        ],
    }
    with RecordingHttpServer() as peer:
        for document in (by_on_error, by_edge):
            peer.script(404)
            run_id, result = await run_once(time_env, engine, document, {"url": peer.base_url})
            assert (result.status, result.path) == ("completed", ["hook", "fallback"])
            step = step_rows(engine, run_id)["hook"]
            assert step.status == "failed"
            assert step.error is not None and step.error["type"] == "http_404"
    assert [(r.path, r.json if r.body else None) for r in peer.requests] == [
        ("/hook", None), ("/fallback", {"error": "http_404"}),
    ] * 2  # fmt: skip


# --------------------------------------------------------------------------------- long loops


async def test_a_long_loop_continues_as_new_and_stays_one_run(
    time_env: WorkflowEnvironment, engine: Engine, monkeypatch: Any
) -> None:
    monkeypatch.setattr("workflows.run_base.CONTINUE_AS_NEW_AFTER_EVENTS", 40)
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


async def execution_chain(
    client: Client, handle: WorkflowHandle[Any, Any]
) -> list[EventType.ValueType]:
    """How each execution of a workflow id ended, from the first: continued-as-new…, then
    its final outcome."""
    endings = []
    run_id = handle.first_execution_run_id
    while run_id is not None:
        execution = client.get_workflow_handle(handle.id, run_id=run_id)
        last = (await execution.fetch_history()).events[-1]
        endings.append(last.event_type)
        continued = last.workflow_execution_continued_as_new_event_attributes
        run_id = continued.new_execution_run_id or None
    return endings
