"""switch, split, set, stop and error branches, run by the interpreter on the time-skipping server."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy.engine import Engine
from sqlmodel import col, select
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from storage.db import session_scope
from storage.models import Run
from tests.helpers.db import run_row
from tests.helpers.peers import RecordingHttpServer
from tests.helpers.temporal import relay_worker, run_input, start_run
from tests.workflows.flow_helpers import (
    call,
    run_once,
    step_rows,
)
from workflows.interpreter import RelayRun

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
    await Replayer(workflows=[RelayRun]).replay_workflow(
        history
    )  # a different choice would be non-determinism


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
