"""Date-relative triggers on the time-skipping server: a run that starts on its event but begins
with the trigger's wait — before/after an instant of the event, or every year on a date."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import WorkflowFailureError
from temporalio.testing import WorkflowEnvironment

from tests.helpers.db import run_row
from tests.helpers.peers import RecordingHttpServer
from tests.helpers.polling import eventually
from tests.helpers.temporal import relay_worker, run_input, start_run
from tests.workflows.flow_helpers import ENTITY, call, step_rows


def reminder(trigger: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": "Reminder",
        "trigger": {"event": "booking.created", **trigger},
        "steps": [call("remind", "/remind", body={"at": "{{ now.isoformat() }}"})],
    }


def sent_at(request: Any) -> datetime:
    """When (in the run's simulated time) the receiver's request was sent."""
    return datetime.fromisoformat(request.json["at"]).astimezone(UTC)


async def test_a_reminder_24h_before_the_start_fires_at_that_simulated_time(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    start = (await time_env.get_current_time()).replace(microsecond=0) + timedelta(days=3)
    document = reminder({"start": {"before": "PT24H", "field": "start_time"}})
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            data = {"start_time": start.isoformat(), "url": peer.base_url}
            handle = await start_run(time_env.client, worker, run_input(document, data))
            result = await handle.result()
    assert result.status == "completed"
    assert result.path == ["remind"]
    steps = step_rows(engine, handle.id)
    # The trigger's wait is the run's first step, under the graph's start node id.
    assert steps["trigger"].type == "wait"
    assert steps["trigger"].output == {"until": (start - timedelta(hours=24)).isoformat()}
    (request,) = peer.requests
    assert start - timedelta(hours=24) <= sent_at(request) < start - timedelta(hours=23, minutes=59)


async def test_an_instant_already_past_follows_if_past(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    past = {"start_time": "2020-01-01T10:00:00Z"}
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            data = {**past, "url": peer.base_url}
            skip = reminder({"start": {"before": "24h", "field": "start_time", "if_past": "skip"}})
            skipped = await start_run(time_env.client, worker, run_input(skip, data))
            go_on = reminder({"type": "before", "field": "start_time", "offset": "24h"})
            continued = await start_run(time_env.client, worker, run_input(go_on, data))
            assert (await skipped.result()).status == "skipped"
            assert (await continued.result()).status == "completed"
    assert run_row(engine, skipped.id).status == "skipped"  # type: ignore[union-attr]
    assert step_rows(engine, skipped.id)["trigger"].status == "skipped"
    assert "remind" not in step_rows(engine, skipped.id)
    assert [r.path for r in peer.requests] == ["/remind"]  # the continued run only


async def test_an_hour_after_the_end_and_a_delay(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    now = (await time_env.get_current_time()).replace(microsecond=0)
    end = now + timedelta(hours=5)
    after = reminder({"start": {"after": "1h", "field": "end_time"}})
    delayed = reminder({"delay": "2d"})
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            data = {"end_time": end.isoformat(), "url": peer.base_url}
            first = await start_run(time_env.client, worker, run_input(after, data))
            second = await start_run(time_env.client, worker, run_input(delayed, data))
            await first.result()
            await second.result()
    fired, waited = sorted(sent_at(r) for r in peer.requests)
    assert end + timedelta(hours=1) <= fired < end + timedelta(hours=1, minutes=1)
    assert waited - now >= timedelta(days=2)


async def test_an_anniversary_fires_every_year(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    now = await time_env.get_current_time()
    soon = (now + timedelta(days=30)).date()
    # The session's clock is wherever earlier tests left it: a 29 February has no 1990.
    birthday = (soon - timedelta(days=1) if (soon.month, soon.day) == (2, 29) else soon).replace(
        year=1990
    )
    document = {
        "name": "Happy birthday",
        "trigger": {"type": "anniversary", "event": "contact.created", "field": "birthday"},
        "steps": [call("greet", "/greet", body={"at": "{{ now.isoformat() }}"})],
    }
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            data = {"birthday": birthday.isoformat(), "url": peer.base_url}
            handle = await start_run(
                time_env.client, worker, run_input(document, data, entity=ENTITY)
            )
            await time_env.sleep(timedelta(days=31))
            await eventually(lambda: "greet" in step_rows(engine, handle.id), interval=0.02)
            assert "greet#2" not in step_rows(engine, handle.id)
            await time_env.sleep(timedelta(days=366))
            await eventually(lambda: "greet#2" in step_rows(engine, handle.id), interval=0.02)
            await handle.cancel()
            # Wait for the run to end while its worker still polls: a cancellation left for a
            # queue nobody polls would hold the time-skipping server's clock for the session.
            with pytest.raises(WorkflowFailureError):
                await handle.result()
    # Each year's greeting is its own delivery (its own idempotency key), at 09:00 UTC.
    first, second = (sent_at(r) for r in peer.requests)
    assert (first.month, first.day, first.hour) == (birthday.month, birthday.day, 9)
    assert (second.year, second.month, second.day) == (first.year + 1, first.month, first.day)
    steps = step_rows(engine, handle.id)
    assert steps["trigger#2"].output == {"until": f"{second.year}-{first:%m-%dT09:00:00+00:00}"}
