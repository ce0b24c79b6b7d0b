"""While the workers are behind, ``POST /v1/events`` and a webhook wait at the door — nothing
stored — and go on, accepted, when the workers catch up or the longest hold has passed;
``/metrics`` shows the holds."""

from __future__ import annotations

import asyncio

from runs.pacing import IntakePace, QueueReading
from tests.api.conftest import Stack, finished
from tests.api.test_metrics import _samples
from tests.helpers.polling import eventually

BEHIND = QueueReading(oldest_age=3.0, dispatch_rate=40.0)
CAUGHT_UP = QueueReading(oldest_age=0.0, dispatch_rate=40.0)
GREETING = {
    "name": "Greet new leads",
    "trigger": {"type": "event", "event": "lead.created"},
    "steps": [{"id": "note", "type": "set", "values": {"greeted": True}}],
}


def paced(stack: Stack, max_hold: float = 30.0) -> IntakePace:
    """The app's door, driven by the test as the watcher drives it from Temporal's readings
    (``tests/runs/test_pacing.py`` reads them from the real server)."""

    async def unread() -> QueueReading | None:
        return None

    door = IntakePace(unread, max_queue_age=0.5, max_hold=max_hold)
    stack.app.state.deps.pace = door
    return door


async def test_an_event_posted_while_the_workers_are_behind_waits_then_runs(
    stack: Stack,
) -> None:
    await stack.create_active(GREETING)
    door = paced(stack)
    door.update(BEHIND)
    event = {"id": "evt_paced_1", "type": "lead.created", "data": {"email": "ann@example.com"}}
    posting = asyncio.create_task(stack.api.post("/v1/events", json=event))
    await eventually(lambda: door.waiting == 1, what="the request held at the door")

    # Held before anything is stored: a sender that gives up now has lost nothing accepted.
    assert (await stack.api.get("/v1/events/evt_paced_1")).status_code == 404
    async with stack.api_as(None) as anonymous:
        assert _samples((await anonymous.get("/metrics")).text)["relay_intake_waiting"] == 1

    door.update(CAUGHT_UP)
    accepted = await asyncio.wait_for(posting, 10)
    assert accepted.status_code == 202, accepted.text
    await stack.wait_run(accepted.json()["runs"][0]["id"], finished)
    async with stack.api_as(None) as anonymous:
        samples = _samples((await anonymous.get("/metrics")).text)
    assert samples["relay_intake_waiting"] == 0
    assert samples["relay_intake_held_total"] == 1
    assert samples["relay_intake_held_seconds_total"] > 0


async def test_a_webhook_held_past_the_longest_hold_is_accepted_anyway(stack: Stack) -> None:
    workflow = await stack.create_active(
        {**GREETING, "trigger": {"type": "webhook"}, "name": "Hooked"}
    )
    hook = (await stack.api.post(f"/v1/workflows/{workflow['id']}/hook", json={})).json()
    door = paced(stack, max_hold=0.3)
    door.update(BEHIND)
    accepted = await stack.api.post(hook["url"], json={"email": "bo@example.com"})
    assert accepted.status_code == 202, accepted.text
    await stack.wait_run(accepted.json()["runs"][0]["id"], finished)
    assert door.held == 1 and door.held_seconds >= 0.3
