"""Twilio and console SMS transports; the real Twilio SDK talks to a fake API on loopback."""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from activities.errors import PermanentDeliveryError, TransientDeliveryError
from activities.sms import (
    ConsoleSmsTransport,
    TwilioSmsTransport,
    sms_transport_from_settings,
    validate_e164,
)
from tests.helpers.db import deliveries_of, steps_of
from tests.helpers.peers import LOOPBACK, FakeTwilioApi, unused_port
from tests.helpers.temporal import relay_worker, run_input, start_run

FROM = "+15005550006"


@pytest.fixture
def twilio_api() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi() as api:
        yield api


def transport_for(api: FakeTwilioApi) -> TwilioSmsTransport:
    return TwilioSmsTransport(api.account_sid, api.auth_token, FROM, api_base_url=api.base_url)


async def test_message_reaches_twilio_with_form_fields_auth_and_idempotency_token(
    twilio_api: FakeTwilioApi,
) -> None:
    receipt = await transport_for(twilio_api).send(
        "+1 (415) 555-0100", "Your booking is confirmed", "run-1.step-2"
    )

    assert receipt["transport"] == "twilio"
    assert receipt["sid"].startswith("SM")
    assert receipt["status"] == "queued"
    assert twilio_api.messages == [
        {"To": "+14155550100", "From": FROM, "Body": "Your booking is confirmed"}
    ]
    [request] = twilio_api.requests
    credentials = f"{twilio_api.account_sid}:{twilio_api.auth_token}".encode()
    assert request.headers["authorization"] == "Basic " + base64.b64encode(credentials).decode()
    assert request.headers["i-twilio-idempotency-token"] == "run-1.step-2"


async def test_wrong_credentials_are_permanent(twilio_api: FakeTwilioApi) -> None:
    transport = TwilioSmsTransport(
        twilio_api.account_sid, "wrong", FROM, api_base_url=twilio_api.base_url
    )

    with pytest.raises(PermanentDeliveryError) as caught:
        await transport.send("+14155550100", "hi", "k")

    assert caught.value.kind == "twilio_20003"


@pytest.mark.parametrize(
    "number",
    [
        "4155550100",  # no country code
        "+0123456789",
        "+1415",
        "+1-415-CALL-NOW",
        "",
        "+15551234567",  # E.164-shaped, but 555 is no North American area code
        "+44 20 79",  # too short for the UK
        "+999 1234567",  # no such country code
    ],
)
async def test_non_e164_number_is_refused_before_any_request(
    twilio_api: FakeTwilioApi, number: str
) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        await transport_for(twilio_api).send(number, "hi", "k")

    assert caught.value.kind == "invalid_recipient"
    assert twilio_api.requests == []


async def test_twilio_400_invalid_to_is_permanent(twilio_api: FakeTwilioApi) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        await transport_for(twilio_api).send(FakeTwilioApi.INVALID_TO, "hi", "k")

    assert caught.value.kind == "invalid_recipient"
    assert FakeTwilioApi.INVALID_TO not in str(caught.value)
    assert "21211" in str(caught.value)


async def test_twilio_500_is_transient(twilio_api: FakeTwilioApi) -> None:
    with pytest.raises(TransientDeliveryError) as caught:
        await transport_for(twilio_api).send(FakeTwilioApi.SERVER_ERROR_TO, "hi", "k")

    assert caught.value.kind == "http_500"


async def test_unreachable_api_is_transient_network_error() -> None:
    transport = TwilioSmsTransport(
        "AC" + "1" * 32, "t", FROM, api_base_url=f"http://{LOOPBACK}:{unused_port()}"
    )

    with pytest.raises(TransientDeliveryError) as caught:
        await transport.send("+14155550100", "hi", "k")

    assert caught.value.kind == "network"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("+14155550100", "+14155550100"), (" +44 20 7946-0958 ", "+442079460958")],
)
def test_validate_e164_strips_formatting(raw: str, expected: str) -> None:
    assert validate_e164(raw) == expected


async def test_console_transport_validates_and_logs_only_body_length(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="activities.sms")

    receipt = await ConsoleSmsTransport().send("+14155550100", "secret code 1234", "k")

    assert receipt == {"transport": "console"}
    [record] = caplog.records
    assert "body_len=16" in record.getMessage()
    assert "4155550100" not in record.getMessage()
    assert "secret" not in record.getMessage()
    with pytest.raises(PermanentDeliveryError):
        await ConsoleSmsTransport().send("555-0100", "x", "k")


def test_settings_choose_twilio_console_or_refuse_partial_config() -> None:
    assert isinstance(sms_transport_from_settings(None, None, None, None), ConsoleSmsTransport)
    assert isinstance(sms_transport_from_settings("AC1", "tok", FROM, None), TwilioSmsTransport)
    with pytest.raises(ValueError, match="from_number"):
        sms_transport_from_settings("AC1", "tok", None, None)


# ------------------------------------------------------------------------- as a Relay step


async def test_a_sent_sms_keeps_twilios_sid_and_status_in_the_delivery_log(
    time_env: WorkflowEnvironment, engine: Engine, twilio_api: FakeTwilioApi
) -> None:
    document = {"name": "Text", "steps": [{"id": "text", "type": "sms", "to": "{{ phone }}",
                                           "message": "See you at 3"}]}  # fmt: skip
    async with relay_worker(time_env.client, engine, sms=transport_for(twilio_api)) as worker:
        handle = await start_run(
            time_env.client, worker, run_input(document, {"phone": "+1 415 555 0123"})
        )
        assert (await handle.result()).status == "completed"

    [delivery] = deliveries_of(engine, handle.id)
    assert (delivery.channel, delivery.transport, delivery.status) == ("sms", "twilio", "delivered")
    assert delivery.receipt is not None
    assert delivery.receipt["sid"].startswith("SM")
    assert delivery.receipt["status"] == "queued"
    assert twilio_api.messages[0]["To"] == "+14155550123"


async def test_an_invalid_number_fails_the_step_at_once_with_a_clear_error(
    time_env: WorkflowEnvironment, engine: Engine, twilio_api: FakeTwilioApi
) -> None:
    document = {"name": "Text", "steps": [{"id": "text", "type": "sms", "to": "+15551234567",
                                           "message": "hi"}]}  # fmt: skip
    async with relay_worker(time_env.client, engine, sms=transport_for(twilio_api)) as worker:
        handle = await start_run(time_env.client, worker, run_input(document))
        assert (await handle.result()).status == "completed"  # on_error: continue

    step = steps_of(engine, handle.id)["text"]
    assert step.status == "failed"
    assert step.error == {
        "type": "invalid_recipient",
        "message": "phone number is not a valid number for its country",
        "retryable": False,
    }
    assert twilio_api.requests == []
    assert deliveries_of(engine, handle.id) == []
