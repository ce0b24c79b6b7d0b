"""Run identity over the real API and Temporal: dedupe keys, re-enrollment, matching by type and
glob in priority order, cancel_on, and what GET /v1/events/{id} says about each workflow."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import update
from temporalio.client import WorkflowExecutionStatus

from storage.db import session_scope
from storage.models import Run
from tests.api.conftest import Stack, problem
from tests.helpers.polling import eventually


def _waiting(name: str = "Follow-up", event: str = "booking.created", **trigger: Any) -> dict:
    return {
        "name": name,
        "trigger": {"type": "event", "event": event, "entity": "{{ booking_id }}", **trigger},
        "steps": [{"id": "pause", "type": "wait", "duration": "P3D"}],
    }


async def _post(stack: Stack, event: dict[str, Any]) -> dict[str, Any]:
    response = await stack.api.post("/v1/events", json=event)
    assert response.status_code == 202, response.text
    body: dict[str, Any] = response.json()
    return body


async def _runs_of(stack: Stack, workflow_id: str) -> list[dict[str, Any]]:
    listed = await stack.api.get(f"/v1/workflows/{workflow_id}/runs")
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


async def _outcomes(stack: Stack, event_id: str) -> list[tuple[str, str]]:
    body = (await stack.api.get(f"/v1/events/{event_id}")).json()
    return [(o["workflow_id"], o["outcome"]) for o in body["outcomes"]]


async def _terminate(stack: Stack, *run_ids: str) -> None:
    for run_id in run_ids:
        await stack.client.get_workflow_handle(run_id).terminate("test over")


def _booking(event_id: str, booking: str = "bk_1", **data: Any) -> dict[str, Any]:
    return {"type": "booking.created", "id": event_id, "data": {"booking_id": booking, **data}}


async def test_the_same_event_posted_ten_times_at_once_starts_one_run(stack: Stack) -> None:
    workflow = await stack.create_active(_waiting())
    event = _booking(f"evt-{uuid.uuid4().hex[:8]}")
    answers = await asyncio.gather(*(stack.api.post("/v1/events", json=event) for _ in range(10)))
    assert [a.status_code for a in answers] == [202] * 10
    runs = [a.json()["runs"] for a in answers]
    assert {r[0]["id"] for r in runs} == {runs[0][0]["id"]}
    assert sorted(r[0]["status"] for r in runs) == ["duplicate"] * 9 + ["started"]
    listed = await _runs_of(stack, workflow["id"])
    assert [r["id"] for r in listed] == [runs[0][0]["id"]]
    await _terminate(stack, runs[0][0]["id"])


async def test_ten_events_for_one_entity_at_once_enroll_it_once(stack: Stack) -> None:
    workflow = await stack.create_active(_waiting(reenroll="once"))
    answers = await asyncio.gather(
        *(stack.api.post("/v1/events", json=_booking(f"evt-once-{i}")) for i in range(10))
    )
    assert [a.status_code for a in answers] == [202] * 10
    listed = await _runs_of(stack, workflow["id"])
    assert len(listed) == 1
    runs = [run for a in answers for run in a.json()["runs"]]
    assert [(r["id"], r["status"]) for r in runs] == [(listed[0]["id"], "started")]
    outcomes = [o for i in range(10) for _, o in await _outcomes(stack, f"evt-once-{i}")]
    assert sorted(outcomes) == ["reenroll_refused"] * 9 + ["started"]
    await _terminate(stack, listed[0]["id"])


async def test_a_dedupe_key_template_makes_events_of_one_booking_one_run(stack: Stack) -> None:
    workflow = await stack.create_active(_waiting(dedupe_key="{{ booking_id }}"))
    first = await _post(stack, _booking("evt-a"))
    second = await _post(stack, _booking("evt-b"))
    other = await _post(stack, _booking("evt-c", booking="bk_2"))
    assert second["runs"][0]["id"] == first["runs"][0]["id"]
    assert second["runs"][0]["status"] == "duplicate"
    assert other["runs"][0]["id"] != first["runs"][0]["id"]
    assert await _outcomes(stack, "evt-b") == [(workflow["id"], "deduped")]
    assert await _outcomes(stack, "evt-a") == [(workflow["id"], "started")]
    await _terminate(stack, first["runs"][0]["id"], other["runs"][0]["id"])


async def test_once_enrolls_each_entity_once_and_a_redelivery_is_a_duplicate(stack: Stack) -> None:
    workflow = await stack.create_active(_waiting(reenroll="once"))
    first = await _post(stack, _booking("evt-1"))
    assert [r["status"] for r in first["runs"]] == ["started"]
    again = await _post(stack, _booking("evt-1"))
    assert [(r["id"], r["status"]) for r in again["runs"]] == [
        (first["runs"][0]["id"], "duplicate")
    ]
    later = await _post(stack, _booking("evt-2"))
    body = (await stack.api.get("/v1/events/evt-2")).json()
    assert [(o["outcome"], o["run_id"]) for o in body["outcomes"]] == [("reenroll_refused", None)]
    assert "(once)" in body["outcomes"][0]["detail"]
    assert body["runs"] == []
    assert later["runs"] == []
    second_entity = await _post(stack, _booking("evt-3", booking="bk_2"))
    assert second_entity["runs"][0]["status"] == "started"
    assert len(await _runs_of(stack, workflow["id"])) == 2
    await _terminate(stack, first["runs"][0]["id"], second_entity["runs"][0]["id"])


async def test_reenroll_after_a_period_refuses_until_the_period_has_passed(stack: Stack) -> None:
    workflow = await stack.create_active(_waiting(reenroll={"after": "P30D"}))
    first = await _post(stack, _booking("evt-p1"))
    run_id = first["runs"][0]["id"]
    assert (await _post(stack, _booking("evt-p2")))["runs"] == []
    assert await _outcomes(stack, "evt-p2") == [(workflow["id"], "reenroll_refused")]
    redelivered = await _post(stack, _booking("evt-p1"))
    assert [(r["id"], r["status"]) for r in redelivered["runs"]] == [(run_id, "duplicate")]

    with session_scope(stack.engine) as session:  # as if the run started 31 days ago
        row = session.get(Run, run_id)
        assert row is not None
        session.execute(
            update(Run)
            .where(Run.id == run_id)  # type: ignore[arg-type]
            .values(started_at=row.started_at - timedelta(days=31))
        )
    third = await _post(stack, _booking("evt-p3"))
    assert [r["status"] for r in third["runs"]] == ["started"]
    assert third["runs"][0]["id"] != run_id
    await _terminate(stack, run_id, third["runs"][0]["id"])


async def test_exact_types_and_globs_match_in_priority_order(stack: Stack) -> None:
    exact = await stack.create_active(_waiting("exact"))
    family = await stack.create_active(_waiting("family", event="booking.*", priority=1))
    created = await stack.create_active(_waiting("any created", event="*.created", priority=5))
    everything = await stack.create_active(_waiting("all", event="*", priority=-1))
    deals = await stack.create_active(_waiting("deals", event="deal.*", priority=9))
    accepted = await _post(stack, _booking("evt-glob"))
    assert [r["workflow_id"] for r in accepted["runs"]] == [
        created["id"], family["id"], exact["id"], everything["id"],
    ]  # fmt: skip
    considered = {w for w, _ in await _outcomes(stack, "evt-glob")}
    assert deals["id"] not in considered and len(considered) == 4
    await _terminate(stack, *(r["id"] for r in accepted["runs"]))


async def test_an_unsupported_glob_is_refused_when_saved(stack: Stack) -> None:
    body = problem(await stack.api.post("/v1/workflows", json=_waiting(event="book*")), 422)
    assert [e["path"] for e in body["errors"]] == ["trigger.event"]


async def test_an_event_no_workflow_listens_to_says_so(stack: Stack) -> None:
    await _post(stack, {"type": "nobody.listens", "id": "evt-lonely", "data": {}})
    body = (await stack.api.get("/v1/events/evt-lonely")).json()
    assert (body["runs"], body["outcomes"]) == ([], [])
    assert body["note"] == "no active workflow listens to this event type"
    problem(await stack.api.get("/v1/events/evt-missing"), 404)
    async with stack.other_tenant() as other:
        problem(await other.get("/v1/events/evt-lonely"), 404)


async def test_a_cancellation_event_cancels_the_entitys_waiting_run(stack: Stack) -> None:
    reminder = await stack.create_active(_waiting(cancel_on=["booking.cancelled"]))
    bystander = await stack.create_active(_waiting("bystander"))
    started = await _post(stack, {**_booking("evt-c1", booking="bk_9"), "entity": "bk_9"})
    run_ids = {r["workflow_id"]: r["id"] for r in started["runs"]}
    for run_id in run_ids.values():
        await stack.wait_run(run_id, lambda r: r["status"] == "waiting")

    other_entity = {"type": "booking.cancelled", "id": "evt-x0", "entity": "bk_8", "data": {}}
    await _post(stack, other_entity)
    cancel = {"type": "booking.cancelled", "id": "evt-x1", "entity": "bk_9", "data": {}}
    await _post(stack, cancel)

    run = await stack.wait_run(run_ids[reminder["id"]], lambda r: r["status"] == "cancelled")
    assert run["status"] == "cancelled"
    handle = stack.client.get_workflow_handle(run_ids[reminder["id"]])

    async def closed_cancelled() -> bool:
        # The run records its end before its workflow task completes: Temporal closes it after.
        return (await handle.describe()).status == WorkflowExecutionStatus.CANCELED

    await eventually(closed_cancelled, what="Temporal closed the run cancelled")
    assert await _outcomes(stack, "evt-x1") == [(reminder["id"], "cancelled")]
    bystanding = (await stack.api.get(f"/v1/runs/{run_ids[bystander['id']]}")).json()
    assert bystanding["status"] == "waiting"
    await _terminate(stack, run_ids[bystander["id"]])
