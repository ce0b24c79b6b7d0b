"""Run watches: the index that routes an event to the runs waiting for it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from sqlalchemy import event
from sqlalchemy.engine import Engine
from temporalio.testing import ActivityEnvironment

from activities.bookkeeping import Recorder, close_run
from storage.db import session_scope
from storage.watches import runs_watching, unwatch, watch
from tests.helpers.db import watches_of
from workflows.contract import RunRef, WatchInput


def _ids() -> tuple[str, str]:
    """A tenant and an entity of this test alone, so tests sharing the database never meet."""
    return f"t_{uuid.uuid4().hex[:8]}", f"bk_{uuid.uuid4().hex[:8]}"


def _run() -> str:
    return f"run_{uuid.uuid4().hex}"


def _watch(engine: Engine, tenant: str, run_id: str, entity: str, *types: str) -> None:
    with session_scope(engine) as session:
        watch(session, tenant, run_id, entity, types)


def _watching(engine: Engine, tenant: str, entity: str, event_type: str) -> list[str]:
    with session_scope(engine) as session:
        return runs_watching(session, tenant, entity, event_type)


def test_watching_the_same_types_twice_keeps_one_watch_each(engine: Engine) -> None:
    tenant, entity = _ids()
    run_id = _run()
    _watch(engine, tenant, run_id, entity, "booking.rescheduled", "booking.cancelled")
    _watch(engine, tenant, run_id, entity, "booking.rescheduled", "booking.rescheduled")
    assert watches_of(engine, run_id) == {
        (entity, "booking.rescheduled"),
        (entity, "booking.cancelled"),
    }
    assert _watching(engine, tenant, entity, "booking.rescheduled") == [run_id]


def test_runs_are_found_by_their_exact_event_type(engine: Engine) -> None:
    tenant, entity = _ids()
    rescheduled, cancelled = _run(), _run()
    _watch(engine, tenant, rescheduled, entity, "booking.rescheduled")
    _watch(engine, tenant, cancelled, entity, "booking.cancelled")
    assert _watching(engine, tenant, entity, "booking.rescheduled") == [rescheduled]
    assert _watching(engine, tenant, entity, "booking.cancelled") == [cancelled]
    assert _watching(engine, tenant, entity, "booking.created") == []


def test_a_star_watch_matches_every_event_type_and_each_run_comes_once(engine: Engine) -> None:
    tenant, entity = _ids()
    goal, both = _run(), _run()
    _watch(engine, tenant, goal, entity, "*")
    _watch(engine, tenant, both, entity, "*", "deal.won")
    assert set(_watching(engine, tenant, entity, "deal.won")) == {goal, both}
    assert len(_watching(engine, tenant, entity, "deal.won")) == 2
    assert set(_watching(engine, tenant, entity, "anything.else")) == {goal, both}


def test_other_tenants_and_other_entities_are_not_returned(engine: Engine) -> None:
    tenant, entity = _ids()
    other_tenant, other_entity = _ids()
    run_id = _run()
    _watch(engine, tenant, run_id, entity, "booking.rescheduled", "*")
    assert _watching(engine, other_tenant, entity, "booking.rescheduled") == []
    assert _watching(engine, tenant, other_entity, "booking.rescheduled") == []


def test_unwatch_drops_the_named_types_or_all_of_them(engine: Engine) -> None:
    tenant, entity = _ids()
    run_id, neighbour = _run(), _run()
    _watch(engine, tenant, run_id, entity, "a", "b", "*")
    _watch(engine, tenant, neighbour, entity, "a")
    with session_scope(engine) as session:
        unwatch(session, run_id, ["a", "*"])
    assert watches_of(engine, run_id) == {(entity, "b")}
    assert _watching(engine, tenant, entity, "a") == [neighbour]
    with session_scope(engine) as session:
        unwatch(session, run_id)
    assert watches_of(engine, run_id) == set()
    assert watches_of(engine, neighbour) == {(entity, "a")}


def test_closing_a_run_removes_its_watches(engine: Engine) -> None:
    tenant, entity = _ids()
    run_id = _run()
    _watch(engine, tenant, run_id, entity, "booking.rescheduled", "*")
    with session_scope(engine) as session:
        close_run(session, RunRef(tenant, run_id, "wf", 1), "completed", datetime.now(UTC))
    assert watches_of(engine, run_id) == set()
    assert _watching(engine, tenant, entity, "booking.rescheduled") == []


def test_closing_a_run_that_never_watched_leaves_the_watches_alone(engine: Engine) -> None:
    """The workflow says whether the run ever watched (``Run.watched``): a run that did not
    is closed without a statement on the watches (most runs wait for no event). A watch the
    workflow does not know of (``Run.watched``'s caveat) stays until an event finds the run
    closed."""
    tenant, entity = _ids()
    run_id = _run()
    _watch(engine, tenant, run_id, entity, "booking.rescheduled")
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        with session_scope(engine) as session:
            ref = RunRef(tenant, run_id, "wf", 1)
            close_run(session, ref, "completed", datetime.now(UTC), watched=False)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements  # the run's row was written
    assert not [s for s in statements if "run_watches" in s]
    assert watches_of(engine, run_id) == {(entity, "booking.rescheduled")}


async def test_the_watch_activity_starts_and_stops_watching(engine: Engine) -> None:
    tenant, entity = _ids()
    run = RunRef(tenant, _run(), "wf", 1)
    recorder, env = Recorder(engine), ActivityEnvironment()
    await env.run(recorder.watch, WatchInput(run, entity, ["booking.rescheduled", "*"]))
    assert watches_of(engine, run.run_id) == {(entity, "booking.rescheduled"), (entity, "*")}
    await env.run(recorder.watch, WatchInput(run, entity, ["*"], active=False))
    assert watches_of(engine, run.run_id) == {(entity, "booking.rescheduled")}
