"""SMTP and console email transports against a real SMTP server on loopback."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from activities.email import (
    ConsoleEmailTransport,
    EmailMessage,
    SmtpTransport,
    email_transport_from_url,
)
from activities.errors import PermanentDeliveryError, TransientDeliveryError
from tests.helpers.peers import LOOPBACK, SmtpSink, unused_port


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with SmtpSink() as smtp_sink:
        yield smtp_sink


def transport_for(sink: SmtpSink) -> SmtpTransport:
    return SmtpTransport.from_url(sink.url(query="from=noreply@example.com"))


async def test_text_only_message_arrives_with_sender_from_url_and_message_id(
    sink: SmtpSink,
) -> None:
    receipt = await transport_for(sink).send(
        EmailMessage(
            to=["ann@example.com"], subject="Hi", text="Hello Ann", message_id="run-1.step-4"
        )
    )

    assert receipt == {
        "transport": "smtp",
        "message_id": "run-1.step-4@relay",
        "accepted": 1,
        "refused": 0,
    }
    [received] = sink.messages
    assert received.mail_from == "noreply@example.com"
    assert received.rcpt_tos == ["ann@example.com"]
    message = received.message
    assert message["From"] == "noreply@example.com"
    assert message["To"] == "ann@example.com"
    assert message["Subject"] == "Hi"
    assert message["Message-ID"] == "<run-1.step-4@relay>"
    assert message.get_content_type() == "text/plain"
    assert message.get_content().strip() == "Hello Ann"


async def test_text_and_html_become_multipart_alternative(sink: SmtpSink) -> None:
    await transport_for(sink).send(
        EmailMessage(to=["ann@example.com"], subject="Hi", text="plain", html="<b>rich</b>")
    )

    message = sink.messages[0].message
    assert message.get_content_type() == "multipart/alternative"
    parts = {part.get_content_type(): part.get_content().strip() for part in message.iter_parts()}
    assert parts == {"text/plain": "plain", "text/html": "<b>rich</b>"}


async def test_html_only_message_is_single_html_part(sink: SmtpSink) -> None:
    await transport_for(sink).send(EmailMessage(to=["a@example.com"], subject="s", html="<p>x</p>"))

    assert sink.messages[0].message.get_content_type() == "text/html"


async def test_cc_is_a_header_and_bcc_only_an_envelope_recipient(sink: SmtpSink) -> None:
    receipt = await transport_for(sink).send(
        EmailMessage(
            to=["to@example.com"],
            cc=["cc@example.com"],
            bcc=["hidden@example.com"],
            subject="s",
            text="t",
            sender="owner@example.com",
        )
    )

    assert receipt["accepted"] == 3
    [received] = sink.messages
    assert received.mail_from == "owner@example.com"
    assert sorted(received.rcpt_tos) == ["cc@example.com", "hidden@example.com", "to@example.com"]
    assert received.message["Cc"] == "cc@example.com"
    assert received.message["Bcc"] is None
    assert b"hidden@example.com" not in received.message.as_bytes()


async def test_multiline_subject_is_folded_onto_one_line(sink: SmtpSink) -> None:
    await transport_for(sink).send(
        EmailMessage(to=["a@example.com"], subject="Hi\r\nBcc: evil@example.com", text="t")
    )

    message = sink.messages[0].message
    assert message["Subject"] == "Hi Bcc: evil@example.com"
    assert message["Bcc"] is None


async def test_partially_refused_recipients_are_counted(sink: SmtpSink) -> None:
    sink.refuse["gone@example.com"] = "550 no such user"

    receipt = await transport_for(sink).send(
        EmailMessage(to=["ok@example.com", "gone@example.com"], subject="s", text="t")
    )

    assert (receipt["accepted"], receipt["refused"]) == (1, 1)
    assert sink.messages[0].rcpt_tos == ["ok@example.com"]


@pytest.mark.parametrize("fail_on", ["rcpt", "data"])
async def test_4xx_reply_is_transient(sink: SmtpSink, fail_on: str) -> None:
    sink.fail_with, sink.fail_on = "451 try later", fail_on  # type: ignore[assignment]

    with pytest.raises(TransientDeliveryError) as caught:
        await transport_for(sink).send(EmailMessage(to=["a@example.com"], subject="s", text="t"))

    assert caught.value.kind == "smtp_4xx"
    assert "a@example.com" not in str(caught.value)


@pytest.mark.parametrize("fail_on", ["rcpt", "data"])
async def test_5xx_reply_is_permanent(sink: SmtpSink, fail_on: str) -> None:
    sink.fail_with, sink.fail_on = "550 no such user", fail_on  # type: ignore[assignment]

    with pytest.raises(PermanentDeliveryError) as caught:
        await transport_for(sink).send(EmailMessage(to=["a@example.com"], subject="s", text="t"))

    assert caught.value.kind == "smtp_5xx"
    assert "no such user" not in str(caught.value)


async def test_connection_refused_is_transient_network_error() -> None:
    transport = SmtpTransport.from_url(f"smtp://{LOOPBACK}:{unused_port()}")

    with pytest.raises(TransientDeliveryError) as caught:
        await transport.send(EmailMessage(to=["a@example.com"], subject="s", text="t"))

    assert caught.value.kind == "network"


async def test_starttls_required_but_not_offered_is_permanent(sink: SmtpSink) -> None:
    transport = SmtpTransport.from_url(sink.url(scheme="smtp+starttls"))

    with pytest.raises(PermanentDeliveryError) as caught:
        await transport.send(EmailMessage(to=["a@example.com"], subject="s", text="t"))

    assert caught.value.kind == "smtp_unsupported"
    assert sink.messages == []


@pytest.mark.parametrize(
    "address",
    [
        "a@example.com\r\nBcc: evil@example.com",
        "a b@example.com",
        "no-at-sign",
        "@example.com",
        "a@",
        "a@b@c",
        "a@example.com, b@example.com",
    ],
)
async def test_malformed_address_is_refused_before_connecting(sink: SmtpSink, address: str) -> None:
    with pytest.raises(PermanentDeliveryError) as caught:
        await transport_for(sink).send(EmailMessage(to=[address], subject="s", text="t"))

    assert caught.value.kind == "invalid_recipient"
    assert address not in str(caught.value)
    assert sink.messages == []


async def test_no_recipients_is_permanent(sink: SmtpSink) -> None:
    with pytest.raises(PermanentDeliveryError, match="invalid_recipient"):
        await transport_for(sink).send(EmailMessage(to=[], subject="s", text="t"))


def test_url_parsing_sets_security_credentials_and_default_ports() -> None:
    plain = SmtpTransport.from_url("smtp://mail.example.com")
    starttls = SmtpTransport.from_url("smtp+starttls://u%40x:p%2Fw@mail.example.com?from=a@b.c")
    implicit = SmtpTransport.from_url("smtps://mail.example.com:2465")

    assert (plain.security, plain.port, plain.username) == ("plain", 25, None)
    assert (starttls.security, starttls.port) == ("starttls", 587)
    assert (starttls.username, starttls.password, starttls.default_sender) == (
        "u@x",
        "p/w",
        "a@b.c",
    )
    assert (implicit.security, implicit.port) == ("tls", 2465)
    with pytest.raises(ValueError):
        SmtpTransport.from_url("http://mail.example.com")


@pytest.mark.parametrize("url", [None, "", "console"])
def test_missing_url_selects_console_transport(url: str | None) -> None:
    assert isinstance(email_transport_from_url(url), ConsoleEmailTransport)


async def test_console_transport_sends_nothing_and_logs_no_pii(
    sink: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="activities.email")

    receipt = await ConsoleEmailTransport().send(
        EmailMessage(
            to=["ann@example.com"],
            cc=["bob@example.com"],
            subject="Secret subject",
            text="private body",
            message_id="run-9.step-1",
        )
    )

    assert receipt == {"transport": "console", "message_id": "run-9.step-1@relay"}
    assert sink.messages == []
    [record] = caplog.records
    line = record.getMessage()
    assert "recipients=2" in line
    for secret in ("ann@example.com", "bob@example.com", "example.com", "Secret", "private"):
        assert secret not in line
