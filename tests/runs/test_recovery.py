"""The recoverer makes the database and Temporal agree: it starts the runs Temporal could not
take, fails those it never takes, follows runs that closed in Temporal, and ends cancelled runs
that cannot end themselves."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from temporalio.client import Client, WorkflowExecutionStatus

from runs.control import cancel_run
from runs.deps import RunsDeps
from runs.intake import accept_event, received
from runs.recovery import RECONCILE_AFTER, VISIBILITY_CHUNK, Recoverer, intend_event
from runs.starting import START_RUN
from storage.db import session_scope
from storage.events import outcomes_of
from storage.models import Run
from storage.outbox import claim, pending
from storage.records import change_event, create_record
from storage.runs import start_run
from tests.helpers.db import run_row
from tests.helpers.polling import eventually
from tests.runs.conftest import Service

GREETING: dict[str, Any] = {
    "name": "Greeting",
    "trigger": {"type": "event", "event": "contact.created", "entity": "{{ contact_id }}"},
    "steps": [{"id": "note", "type": "set", "values": {"greeted": "{{ name }}"}}],
}
WAITING: dict[str, Any] = {
    "name": "Follow-up",
    "trigger": {"type": "event", "event": "booking.created"},
    "steps": [{"id": "pause", "type": "wait", "duration": "P3D"}],
}


def offline(service: Service, **kwargs: Any) -> RunsDeps:
    async def unreachable() -> Client:
        raise ConnectionRefusedError("no Temporal here")

    return RunsDeps(
        engine=service.deps.engine, connect_temporal=unreachable, task_queue="q", **kwargs
    )


def later() -> datetime:
    """A moment when every run row written now is old enough to be reconciled."""
    return datetime.now(UTC) + RECONCILE_AFTER + timedelta(seconds=1)


async def test_a_run_accepted_while_temporal_is_away_is_started_by_the_recoverer(
    service: Service,
) -> None:
    service.activate(GREETING)
    event = received("contact.created", data={"contact_id": "c1", "name": "Ada"})
    [run] = (await accept_event(offline(service), service.tenant_id, event)).runs
    assert run.status == "pending"

    assert [o.outcome for o in _outcomes(service, event.id)] == ["pending"]

    recovered = await Recoverer(service.deps, tenant_id=service.tenant_id).pass_once()

    assert recovered.started == 1
    await (await service.deps.temporal()).get_workflow_handle(run.id).result()
    row = run_row(service.deps.engine, run.id)
    assert row is not None and row.status == "completed"
    with session_scope(service.deps.engine) as session:
        assert pending(session, tenant_id=service.tenant_id) == []
    [outcome] = _outcomes(service, event.id)  # what GET /v1/events/{id} shows
    assert (outcome.outcome, outcome.run_id) == ("started", run.id)
    assert "recoverer started the run" in outcome.detail


def _outcomes(service: Service, event_id: str | None) -> list[Any]:
    with session_scope(service.deps.engine) as session:
        return outcomes_of(session, service.tenant_id, str(event_id))


async def test_a_run_temporal_never_takes_fails_with_the_reason_after_the_deadline(
    service: Service,
) -> None:
    service.activate(GREETING)
    deps = offline(service, start_deadline=timedelta(minutes=1))
    event = received("contact.created")
    [run] = (await accept_event(deps, service.tenant_id, event)).runs
    recoverer = Recoverer(deps, tenant_id=service.tenant_id)

    assert not await recoverer.pass_once()  # within the deadline: tried again later
    still = run_row(deps.engine, run.id)
    assert still is not None and still.status == "running"
    done = await recoverer.pass_once(now=datetime.now(UTC) + timedelta(minutes=2))

    assert done.failed == 1
    row = run_row(deps.engine, run.id)
    assert row is not None and row.status == "failed" and row.error is not None
    assert "could not be started within 0:01:00: Temporal is not reachable" in row.error["message"]
    [outcome] = _outcomes(service, event.id)
    assert (outcome.outcome, outcome.run_id) == ("failed", run.id)
    assert outcome.detail == row.error["message"]


async def test_an_intent_is_carried_out_by_one_recoverer_at_a_time(service: Service) -> None:
    service.activate(GREETING)
    await accept_event(offline(service), service.tenant_id, received("contact.created"))
    now = datetime.now(UTC)
    with session_scope(service.deps.engine) as session:
        first = claim(session, "a", now, timedelta(seconds=30), 10, service.tenant_id)
        second = claim(session, "b", now, timedelta(seconds=30), 10, service.tenant_id)
        after_lease = claim(
            session, "b", now + timedelta(seconds=31), timedelta(seconds=30), 10, service.tenant_id
        )
    assert [i.kind for i in first] == [START_RUN]
    assert second == []
    assert [i.id for i in after_lease] == [first[0].id]  # a dead recoverer's lease passes


async def test_a_run_terminated_in_temporal_shows_failed(service: Service) -> None:
    service.activate(WAITING)
    event = received("booking.created", id=f"evt-{uuid.uuid4().hex[:8]}")
    [run] = (await accept_event(service.deps, service.tenant_id, event)).runs
    await eventually(
        lambda: (row := run_row(service.deps.engine, run.id)) and row.status == "waiting"
    )
    await (await service.deps.temporal()).get_workflow_handle(run.id).terminate("operator")
    recoverer = Recoverer(service.deps, tenant_id=service.tenant_id, reconcile_every=1)

    # Temporal's visibility may list the run as running a moment after it closed: the next
    # pass sees it closed.
    await eventually(lambda: _reconciled(recoverer), what="the terminated run reconciled")

    row = run_row(service.deps.engine, run.id)
    assert row is not None and row.status == "failed" and row.error is not None
    assert row.error["message"] == "the run was terminated in Temporal"


async def _reconciled(recoverer: Recoverer) -> bool:
    return (await recoverer.pass_once(now=later())).reconciled == 1


async def test_a_page_larger_than_one_visibility_query_is_reconciled_in_one_sweep(
    service: Service,
) -> None:
    """Runs still running are named by visibility queries (VISIBILITY_CHUNK ids each); only the
    rest are described, and every one that closed in Temporal is closed in the database."""
    service.activate(WAITING)
    runs = [
        run
        for _ in range(VISIBILITY_CHUNK + 20)
        for run in (
            await accept_event(service.deps, service.tenant_id, received("booking.created"))
        ).runs
    ]
    await eventually(
        lambda: all(
            (r := run_row(service.deps.engine, run.id)) and r.status == "waiting" for run in runs
        ),
        timeout=60,
        what="every run waiting",
    )
    client = await service.deps.temporal()
    first, last = runs[0], runs[-1]  # one in each visibility query
    for run in (first, last):
        await client.get_workflow_handle(run.id).terminate("operator")
    recoverer = Recoverer(service.deps, tenant_id=service.tenant_id, reconcile_every=1)

    async def swept() -> bool:
        await recoverer.pass_once(now=later())
        closed = [run_row(service.deps.engine, r.id) for r in (first, last)]
        return all(row is not None and row.status == "failed" for row in closed)

    await eventually(swept, what="both terminated runs reconciled")
    still_waiting = [
        r
        for r in runs[1:-1]
        if (row := run_row(service.deps.engine, r.id)) and row.status == "waiting"
    ]
    assert len(still_waiting) == len(runs) - 2


async def test_an_open_row_without_an_execution_is_failed(service: Service) -> None:
    workflow, _ = service.activate(GREETING)
    phantom = f"run_{uuid.uuid4().hex}"
    with session_scope(service.deps.engine) as session:
        start_run(
            session,
            Run(id=phantom, tenant_id=service.tenant_id, workflow_id=workflow.id, version=1),
        )

    await Recoverer(service.deps, tenant_id=service.tenant_id).pass_once(now=later())

    row = run_row(service.deps.engine, phantom)
    assert row is not None and row.status == "failed" and row.error is not None
    assert row.error["message"] == "the run has no execution in Temporal"


async def test_a_cancelled_run_that_cannot_end_itself_is_terminated_after_its_grace(
    service: Service,
) -> None:
    service.activate(WAITING)
    # No worker polls this queue: the run's workflow task never runs, so it cannot honour
    # the cancellation, as a run whose workflow task keeps failing cannot.
    client = await service.deps.temporal()
    stuck = RunsDeps.over(client, service.deps.engine, f"q-{uuid.uuid4().hex[:8]}")
    stuck.cancel_grace = timedelta(0)
    [run] = (await accept_event(stuck, service.tenant_id, received("booking.created"))).runs

    assert await cancel_run(stuck, service.tenant_id, run.id) is False
    done = await Recoverer(stuck, tenant_id=service.tenant_id).pass_once()

    assert done.terminated == 1
    described = await client.get_workflow_handle(run.id).describe()
    assert described.status == WorkflowExecutionStatus.TERMINATED
    row = run_row(service.deps.engine, run.id)
    assert row is not None and row.status == "cancelled"


async def test_a_run_cancelled_by_an_event_that_cannot_end_itself_is_terminated_after_its_grace(
    service: Service,
) -> None:
    trigger = {"type": "event", "event": "booking.created", "entity": "{{ booking_id }}",
               "cancel_on": ["booking.cancelled"]}  # fmt: skip
    service.activate({**WAITING, "trigger": trigger})
    client = await service.deps.temporal()
    stuck = RunsDeps.over(client, service.deps.engine, f"q-{uuid.uuid4().hex[:8]}")
    stuck.cancel_grace = timedelta(0)
    booked = received("booking.created", entity="bk_9", data={"booking_id": "bk_9"})
    [run] = (await accept_event(stuck, service.tenant_id, booked)).runs

    cancelled = received("booking.cancelled", entity="bk_9", data={"booking_id": "bk_9"})
    await accept_event(stuck, service.tenant_id, cancelled)
    done = await Recoverer(stuck, tenant_id=service.tenant_id).pass_once()

    assert done.terminated == 1
    described = await client.get_workflow_handle(run.id).describe()
    assert described.status == WorkflowExecutionStatus.TERMINATED
    row = run_row(service.deps.engine, run.id)
    assert row is not None and row.status == "cancelled"


async def test_a_run_cancelled_before_it_started_never_starts(service: Service) -> None:
    service.activate(GREETING)
    [run] = (
        await accept_event(offline(service), service.tenant_id, received("contact.created"))
    ).runs

    assert await cancel_run(offline(service), service.tenant_id, run.id) is True

    assert not (await Recoverer(service.deps, tenant_id=service.tenant_id).pass_once())
    row = run_row(service.deps.engine, run.id)
    assert row is not None and row.status == "cancelled"


async def test_a_change_event_committed_with_its_change_is_emitted_by_the_recoverer(
    service: Service,
) -> None:
    service.activate(GREETING)
    # What the records route commits; the process dies before it emits the event itself.
    with session_scope(service.deps.engine) as session:
        changed = create_record(session, service.tenant_id, "contact", "c7", {"contact_id": "c7"})
        assert changed.change is not None
        event = change_event(changed.change, changed.record)
        intend_event(session, service.tenant_id, event)

    done = await Recoverer(service.deps, tenant_id=service.tenant_id).pass_once()

    assert (done.emitted, done.started) == (1, 0)
    with session_scope(service.deps.engine) as session:
        [outcome] = outcomes_of(session, service.tenant_id, event["id"])
    assert outcome.outcome == "started" and outcome.run_id is not None
    await (await service.deps.temporal()).get_workflow_handle(outcome.run_id).result()
