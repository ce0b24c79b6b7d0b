"""An effect reaches its receiver once per key, within its step's timeout, and the step row says
what the run decided — on the real dev server, whose timeouts are real."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from typing import Any

import aiohttp
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from activities import effects
from activities.actions import Actions
from activities.http import http_session
from activities.sms import TwilioSmsTransport
from storage.db import session_scope
from storage.models import Delivery
from tests.helpers.db import deliveries_of
from tests.helpers.peers import (
    FakeTwilioApi,
    RecordedRequest,
    RecordingHttpServer,
    ScriptedResponse,
    SmtpSink,
)
from tests.helpers.polling import eventually
from tests.helpers.temporal import relay_worker, run_input, start_run
from tests.workflows.flow_helpers import step_rows
from workflows.policies import CLAIM_LEASE, EFFECT_HEARTBEAT_TIMEOUT


class SlowPeer(RecordingHttpServer):
    """Counts the requests it has finished answering (after their scripted delay)."""

    def __init__(self) -> None:
        super().__init__()
        self.finished = 0

    def _handler_class(self) -> Any:
        base = super()._handler_class()
        peer = self

        class Counting(base):  # type: ignore[misc, valid-type]
            def _handle(self) -> None:
                try:
                    super()._handle()
                finally:
                    peer.finished += 1

            do_POST = _handle

        return Counting


async def test_a_receiver_slower_than_the_step_timeout_gets_one_request_and_the_step_fails(
    dev_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Slow receiver",
        "steps": [
            {"id": "slow", "type": "http_request", "url": "{{ url }}", "timeout": "2s",
             "retry": {"max_attempts": 3, "initial_interval": 0.2}},
            {"id": "after", "type": "set", "values": {"done": True}},
        ],
    }  # fmt: skip
    with SlowPeer() as peer:
        for _ in range(3):
            peer.script(200, delay=4)
        async with relay_worker(dev_env.client, engine) as worker:
            handle = await start_run(
                dev_env.client, worker, run_input(document, {"url": peer.url()})
            )
            assert (await handle.result()).status == "completed"
        # Every answer the receiver gave has been given: no attempt is still waiting for one.
        await eventually(lambda: peer.finished == len(peer.requests), timeout=10)
        keys = [request.headers["idempotency-key"] for request in peer.requests]
    assert keys == [f"{handle.id}:slow"]
    step = step_rows(engine, handle.id)["slow"]
    assert step.status == "failed"
    # Which gives up first depends on the machine's load: the client's read timeout (timeout)
    # or Temporal's, whose retry then finds the key unknown (outcome_unknown). Never a resend.
    assert step.error is not None and step.error["type"] in ("timeout", "outcome_unknown")
    assert "not sent again" in step.error["message"]
    with session_scope(engine) as session:
        delivery = session.exec(
            select(Delivery).where(Delivery.idempotency_key == f"{handle.id}:slow")
        ).one()
    assert delivery.status == "unknown"


async def test_a_receiver_that_answers_in_time_after_a_failure_is_sent_again_and_completes(
    dev_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Flaky receiver",
        "steps": [{"id": "call", "type": "http_request", "url": "{{ url }}", "timeout": "2s",
                   "retry": {"max_attempts": 3, "initial_interval": 0.2}}],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        peer.script(503)
        async with relay_worker(dev_env.client, engine) as worker:
            handle = await start_run(
                dev_env.client, worker, run_input(document, {"url": peer.url()})
            )
            assert (await handle.result()).status == "completed"
    assert len(peer.requests) == 2
    step = step_rows(engine, handle.id)["call"]
    assert (step.status, step.attempts) == ("completed", 2)


class SlowTwilio(FakeTwilioApi):
    """Twilio that accepts a message, then answers after the step has given up."""

    def _respond(self, request: RecordedRequest) -> ScriptedResponse:
        return dataclasses.replace(super()._respond(request), delay=4)


async def test_an_sms_twilio_answers_too_late_is_sent_once_and_the_step_fails(
    dev_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Slow SMS",
        "steps": [{"id": "text", "type": "sms", "to": "+14155557654", "message": "hi",
                   "timeout": "2s", "retry": {"max_attempts": 3, "initial_interval": 0.2}}],
    }  # fmt: skip
    with SlowTwilio() as twilio:
        sms = TwilioSmsTransport(
            twilio.account_sid, twilio.auth_token, "+15550000000", twilio.base_url
        )
        async with relay_worker(dev_env.client, engine, sms=sms) as worker:
            handle = await start_run(dev_env.client, worker, run_input(document))
            assert (await handle.result()).status == "completed"
        assert len(twilio.messages) == 1
    step = step_rows(engine, handle.id)["text"]
    assert step.status == "failed"
    assert step.error is not None and step.error["type"] == "timeout"


LOCAL, ACTIVITY = "30s", "2m"
"""Step timeouts that make an action a local activity, and an ordinary (heartbeating) one
(``workflows.policies.LOCAL_ACTION_LIMIT``)."""
RETRY = {"max_attempts": 3, "initial_interval": 0.2}


class HoldingSmtp(SmtpSink):
    """An SMTP server that holds its first session at ``stage`` (``ehlo``: before anything
    is sent; ``data``: with the message in hand) for ``hold`` seconds, past the step's
    timeout; ``data_commands`` counts the messages it was sent."""

    def __init__(self, stage: str, hold: float = 4.0) -> None:
        super().__init__()
        self.stage, self.hold = stage, hold
        self.data_commands = 0
        self._held = False

    async def _maybe_hold(self, stage: str) -> None:
        if stage == self.stage and not self._held:
            self._held = True
            await asyncio.sleep(self.hold)

    async def handle_EHLO(  # aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, hostname: str, responses: list[str]
    ) -> list[str]:
        await self._maybe_hold("ehlo")
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_commands += 1
        reply = await super().handle_DATA(server, session, envelope)  # kept: it has arrived
        await self._maybe_hold("data")
        return reply


def _email(**step: Any) -> dict[str, Any]:
    return {"name": "Mail", "steps": [{"id": "mail", "type": "send_email", "to": "a@example.com",
            "subject": "Hello", "body": "Hi", "timeout": "2s", "retry": RETRY, **step}]}  # fmt: skip


async def test_an_email_whose_server_holds_the_message_past_the_timeout_is_sent_once(
    dev_env: WorkflowEnvironment, engine: Engine
) -> None:
    with HoldingSmtp("data") as smtp:
        async with relay_worker(dev_env.client, engine, smtp_url=smtp.url()) as worker:
            handle = await start_run(dev_env.client, worker, run_input(_email()))
            assert (await handle.result()).status == "completed"
        assert (len(smtp.messages), smtp.data_commands) == (1, 1)
    step = step_rows(engine, handle.id)["mail"]
    assert step.status == "failed"
    assert step.error is not None and "not sent again" in step.error["message"]
    assert [d.status for d in deliveries_of(engine, handle.id)] == ["unknown"]


async def test_an_email_whose_server_is_slow_before_the_message_is_sent_by_the_retry(
    dev_env: WorkflowEnvironment, engine: Engine
) -> None:
    # The first attempt runs out of time greeting the server: nothing was sent, so the key is
    # released, and the retry sends it (marking it unknown would lose the email).
    with HoldingSmtp("ehlo") as smtp:
        async with relay_worker(dev_env.client, engine, smtp_url=smtp.url()) as worker:
            handle = await start_run(dev_env.client, worker, run_input(_email()))
            assert (await handle.result()).status == "completed"
        assert len(smtp.messages) == 1
    step = step_rows(engine, handle.id)["mail"]
    assert (step.status, step.attempts) == ("completed", 2)
    assert [d.status for d in deliveries_of(engine, handle.id)] == ["delivered"]


async def test_a_slack_endpoint_slower_than_the_timeout_gets_one_message_and_the_step_fails(
    dev_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {"name": "Slack", "steps": [{"id": "post", "type": "slack", "url": "{{ url }}",
                "text": "Deployed", "timeout": "2s", "retry": RETRY}]}  # fmt: skip
    with SlowPeer() as slack:
        for _ in range(3):
            slack.script(200, raw=b"ok", delay=4)
        async with relay_worker(dev_env.client, engine) as worker:
            handle = await start_run(
                dev_env.client, worker, run_input(document, {"url": slack.url()})
            )
            assert (await handle.result()).status == "completed"
        await eventually(lambda: slack.finished == len(slack.requests), timeout=10)
    assert [r.json for r in slack.requests] == [{"text": "Deployed"}]
    step = step_rows(engine, handle.id)["post"]
    assert step.status == "failed"
    assert step.error is not None and "not sent again" in step.error["message"]
    assert [d.status for d in deliveries_of(engine, handle.id)] == ["unknown"]


async def test_a_request_cancelled_while_waiting_for_a_connection_is_sent_by_the_retry(
    dev_env: WorkflowEnvironment, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The worker's only connection is busy: the attempt waits for it until Temporal times the
    # attempt out and cancels it. Its request never left, so its retry sends it (marking the
    # key unknown would lose it).
    monkeypatch.setattr(effects, "effect_budget", lambda timeout: timeout.total_seconds() + 6)
    document = {"name": "Busy", "steps": [{"id": "call", "type": "http_request",
                "url": "{{ url }}", "timeout": "1s",
                "retry": {"max_attempts": 20, "initial_interval": 0.5, "max_interval": 0.5}}]}  # fmt: skip
    with RecordingHttpServer() as peer:
        async with (
            http_session(connections=1) as http,
            relay_worker(dev_env.client, engine, http=http) as worker,
        ):
            # /busy holds the connection until its answer, which comes only when the peer
            # stops: the task is cancelled instead, which frees the connection.
            peer.script(200, {}, delay=120)
            busy = asyncio.create_task(_get(http, peer.url("/busy")))
            await eventually(lambda: len(peer.requests) == 1)
            handle = await start_run(
                dev_env.client, worker, run_input(document, {"url": peer.url("/call")})
            )
            await eventually(lambda: step_rows(engine, handle.id)["call"].attempts >= 2, timeout=30)
            busy.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await busy
            assert (await handle.result()).status == "completed"
    assert [r.path for r in peer.requests] == ["/busy", "/call"]
    step = step_rows(engine, handle.id)["call"]
    assert step.status == "completed"
    assert [d.status for d in deliveries_of(engine, handle.id)] == ["delivered"]


async def _get(http: aiohttp.ClientSession, url: str) -> None:
    async with http.get(url):
        pass


@pytest.mark.parametrize("timeout", [LOCAL, ACTIVITY], ids=["local", "activity"])
async def test_a_delivery_slow_to_record_still_completes_its_step_with_one_request(
    dev_env: WorkflowEnvironment, engine: Engine, monkeypatch: pytest.MonkeyPatch, timeout: str
) -> None:
    # The database takes longer than the heartbeat timeout to record the delivery: the attempt
    # must keep heartbeating and holding its claim meanwhile, or Temporal retries it and the
    # retry finds the claim lapsed mid-send (unknown), failing a step whose effect was done.
    recorded = effects._delivered

    def slow_record(*args: Any) -> None:
        time.sleep(EFFECT_HEARTBEAT_TIMEOUT.total_seconds() + CLAIM_LEASE.total_seconds())
        recorded(*args)

    monkeypatch.setattr(effects, "_delivered", slow_record)
    document = {"name": "Slow books", "steps": [{"id": "call", "type": "http_request",
                "url": "{{ url }}", "timeout": timeout, "retry": RETRY}]}  # fmt: skip
    with RecordingHttpServer() as peer:
        async with relay_worker(dev_env.client, engine) as worker:
            handle = await start_run(
                dev_env.client, worker, run_input(document, {"url": peer.url()})
            )
            assert (await handle.result()).status == "completed"
    assert len(peer.requests) == 1
    step = step_rows(engine, handle.id)["call"]
    assert (step.status, step.attempts) == ("completed", 1)
    assert [d.status for d in deliveries_of(engine, handle.id)] == ["delivered"]


@pytest.mark.parametrize("timeout", [LOCAL, ACTIVITY], ids=["local", "activity"])
async def test_an_effect_slow_to_read_its_configuration_is_not_timed_out_as_dead(
    dev_env: WorkflowEnvironment, engine: Engine, monkeypatch: pytest.MonkeyPatch, timeout: str
) -> None:
    # Reading the tenant's secrets takes longer than the heartbeat timeout (a busy database):
    # the attempt heartbeats from its first line, so Temporal does not give it up as dead.
    begin = Actions._begin

    async def slow_begin(self: Actions, *args: Any, **kwargs: Any) -> Any:
        await asyncio.to_thread(time.sleep, EFFECT_HEARTBEAT_TIMEOUT.total_seconds() + 2)
        return await begin(self, *args, **kwargs)

    monkeypatch.setattr(Actions, "_begin", slow_begin)
    document = {"name": "Slow read", "steps": [{"id": "call", "type": "http_request",
                "url": "{{ url }}", "timeout": timeout, "retry": {"max_attempts": 1}}]}  # fmt: skip
    with RecordingHttpServer() as peer:
        async with relay_worker(dev_env.client, engine) as worker:
            handle = await start_run(
                dev_env.client, worker, run_input(document, {"url": peer.url()})
            )
            assert (await handle.result()).status == "completed"
    assert len(peer.requests) == 1
    assert step_rows(engine, handle.id)["call"].status == "completed"


async def test_an_effects_heartbeats_reach_temporal_about_every_second(
    dev_env: WorkflowEnvironment, engine: Engine
) -> None:
    # The SDK throttles heartbeats to 0.8 of the heartbeat timeout by default (3.2 s of 4 s):
    # less than a second late on a loaded machine, and Temporal gave a live attempt up. (A
    # local activity has no heartbeats: this step's timeout makes it an ordinary one.)
    document = {"name": "Held", "steps": [{"id": "call", "type": "http_request",
                "url": "{{ url }}", "timeout": ACTIVITY, "retry": RETRY}]}  # fmt: skip
    with SlowPeer() as peer:
        peer.script(200, delay=8)
        async with relay_worker(dev_env.client, engine) as worker:
            handle = await start_run(
                dev_env.client, worker, run_input(document, {"url": peer.url()})
            )
            beats: set[float] = set()

            async def three_heartbeats() -> bool:
                pending = (await handle.describe()).raw_description.pending_activities
                if pending and pending[0].HasField("last_heartbeat_time"):
                    beats.add(pending[0].last_heartbeat_time.ToMicroseconds() / 1e6)
                return len(beats) >= 3

            await eventually(three_heartbeats, timeout=8, interval=0.1)
            await handle.result()
    times = sorted(beats)
    assert min(b - a for a, b in zip(times, times[1:], strict=False)) < 2.5
