"""An effect reaches its receiver once per key, within its step's timeout, and the step row says
what the run decided — on the real dev server, whose timeouts are real."""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.testing import WorkflowEnvironment

from activities.sms import TwilioSmsTransport
from storage.db import session_scope
from storage.models import Delivery
from tests.helpers.peers import (
    FakeTwilioApi,
    RecordedRequest,
    RecordingHttpServer,
    ScriptedResponse,
)
from tests.helpers.polling import eventually
from tests.helpers.temporal import relay_worker, run_input, start_run
from tests.workflows.flow_helpers import step_rows


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
    assert step.error is not None and step.error["type"] == "timeout"
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
