"""Every transport reports when its request starts to leave, and sends nothing once its attempt
has called the send off — from its own thread too, which asyncio cannot stop."""

from __future__ import annotations

import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from activities.departure import Departure, NotSent, departing, leaving
from activities.email import EmailMessage, SmtpTransport
from activities.http import HttpCaller, http_session
from activities.outbound import LOOPBACK_ALLOW, OutboundPolicy
from activities.sms import TwilioSmsTransport
from tests.helpers.peers import LOOPBACK, FakeTwilioApi, RecordingHttpServer, SmtpSink

LATER = 60.0
"""Seconds of budget the attempts below have: plenty."""


class Records:
    """The ``record`` of a departure: counts its calls, answers ``holds``."""

    def __init__(self, holds: bool = True) -> None:
        self.calls = 0
        self.holds = holds

    def __call__(self) -> bool:
        self.calls += 1
        return self.holds


def departure(record: Callable[[], bool], seconds: float = LATER) -> Departure:
    return Departure(record, time.monotonic() + seconds, 0.1)


def test_a_send_called_off_before_it_left_never_leaves() -> None:
    record = Records()
    attempt = departure(record)
    assert attempt.call_off()
    with pytest.raises(NotSent), departing(attempt):
        leaving()
    assert record.calls == 0 and not attempt.left


def test_a_send_that_left_cannot_be_called_off_and_leaves_once() -> None:
    record = Records()
    attempt = departure(record)
    with departing(attempt):
        leaving()
        leaving()  # a redirect's second hop: already on record
    assert record.calls == 1
    assert not attempt.call_off()


def test_a_send_whose_claim_was_taken_over_does_not_leave() -> None:
    attempt = departure(Records(holds=False))
    with pytest.raises(NotSent) as caught, departing(attempt):
        leaving()
    assert caught.value.kind == "claim_lost"
    assert attempt.call_off()  # nothing left


def test_a_send_with_too_little_time_left_does_not_leave() -> None:
    record = Records()
    attempt = departure(record, seconds=0.05)
    with pytest.raises(NotSent) as caught, departing(attempt):
        leaving()
    assert (caught.value.kind, record.calls) == ("attempt_late", 0)


def test_a_send_called_off_while_its_departure_is_being_recorded_does_not_leave() -> None:
    recording, release = threading.Event(), threading.Event()

    def slow_record() -> bool:
        recording.set()
        release.wait(10)
        return True

    attempt = departure(slow_record)
    outcome: list[BaseException | None] = []

    def transport_thread() -> None:
        try:
            attempt.leave()
            outcome.append(None)
        except NotSent as exc:
            outcome.append(exc)

    thread = threading.Thread(target=transport_thread)
    thread.start()
    assert recording.wait(10)
    assert attempt.call_off()  # the attempt was cancelled meanwhile: it decides "not sent"
    release.set()
    thread.join(10)
    assert isinstance(outcome[0], NotSent) and not attempt.left


# --- each transport, against a real peer -------------------------------------------------------

Send = Callable[[], Awaitable[Any]]


async def _http_send(peer: RecordingHttpServer) -> Any:
    async with http_session() as client:
        caller = HttpCaller(client, policy=OutboundPolicy.from_setting(LOOPBACK_ALLOW))
        return await caller.request(method="POST", url=peer.url("/hook"), json_body={"a": 1})


@pytest.mark.parametrize("channel", ["http", "smtp", "twilio"])
async def test_every_transport_reports_its_departure_and_sends_nothing_once_called_off(
    channel: str,
) -> None:
    with RecordingHttpServer() as http_peer, SmtpSink() as smtp, FakeTwilioApi() as twilio:
        sms = TwilioSmsTransport(
            twilio.account_sid, twilio.auth_token, "+15550000000", twilio.base_url
        )
        sends: dict[str, tuple[Send, Callable[[], int]]] = {
            "http": (lambda: _http_send(http_peer), lambda: len(http_peer.requests)),
            "smtp": (
                lambda: SmtpTransport(LOOPBACK, smtp.port).send(
                    EmailMessage(to=["a@example.com"], subject="s", text="t", message_id="k")
                ),
                lambda: len(smtp.messages),
            ),
            "twilio": (
                lambda: sms.send("+14155557654", "hi", "key-1"),
                lambda: len(twilio.messages),
            ),
        }
        send, arrived = sends[channel]

        record = Records()
        with departing(departure(record)):
            await send()
        assert (record.calls, arrived()) == (1, 1)

        called_off = departure(Records())
        called_off.call_off()
        with pytest.raises(NotSent), departing(called_off):
            await send()
        assert arrived() == 1
