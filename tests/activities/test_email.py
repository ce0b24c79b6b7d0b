"""SMTP and console email transports against a real SMTP server on loopback."""

from __future__ import annotations

import logging
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from activities.email import (
    ConsoleEmailTransport,
    EmailMessage,
    SmtpTransport,
    email_transport_from_url,
)
from activities.errors import PermanentDeliveryError, TransientDeliveryError
from storage.db import session_scope
from storage.email_templates import put_email_template
from storage.tenants import create_tenant
from tests.helpers.db import steps_of
from tests.helpers.peers import LOOPBACK, SmtpSink, _self_signed, unused_port
from tests.helpers.temporal import relay_worker, run_input, start_run


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


# ------------------------------------------------------------------- TLS and authentication

USER, PASSWORD = "relay", "s3cret-pass"


class SecureSmtpSink(SmtpSink):
    """`SmtpSink` for ``localhost`` with a self-signed certificate: STARTTLS (or implicit TLS
    with ``implicit=True``) and AUTH PLAIN required before any mail."""

    def __init__(self, directory: Path, *, implicit: bool = False) -> None:
        super().__init__()
        cert, key = _self_signed("localhost", directory)
        self.client_context = ssl.create_default_context(cafile=str(cert))
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        server_context.load_cert_chain(cert, key)
        self.logins: list[str] = []
        # aiosmtpd only counts STARTTLS as TLS for auth_require_tls; implicit TLS is TLS too.
        tls: dict[str, Any] = (
            {"ssl_context": server_context, "auth_require_tls": False}
            if implicit
            else {"tls_context": server_context, "require_starttls": True}
        )
        self._controller = type(self._controller)(
            self,
            hostname=LOOPBACK,
            port=0,
            server_hostname="localhost",
            authenticator=self._authenticate,
            auth_required=True,
            # One mechanism: smtplib would try LOGIN after a refused PLAIN, and aiosmtpd's
            # LOGIN exchange then stalls until the client's timeout.
            auth_exclude_mechanism=["LOGIN"],
            **tls,
        )

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        self.logins.append(data.login.decode())
        ok = (data.login, data.password) == (USER.encode(), PASSWORD.encode())
        return AuthResult(success=ok, handled=False)  # aiosmtpd then answers 535


def secure_transport(sink: SecureSmtpSink, scheme: str, password: str = PASSWORD) -> SmtpTransport:
    configured = SmtpTransport.from_url(f"{scheme}://{USER}:{password}@localhost:{sink.port}")
    configured.ssl_context = sink.client_context
    return configured


# Implicit TLS is TLS, but aiosmtpd warns about AUTH without its STARTTLS requirement.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize(("scheme", "implicit"), [("smtp+starttls", False), ("smtps", True)])
async def test_tls_and_login_from_the_url_deliver(
    tmp_path: Path, scheme: str, implicit: bool
) -> None:
    with SecureSmtpSink(tmp_path, implicit=implicit) as sink:
        receipt = await secure_transport(sink, scheme).send(
            EmailMessage(to=["ann@example.com"], subject="Hi", text="over TLS")
        )

    assert receipt["accepted"] == 1
    assert sink.logins == [USER]
    assert sink.messages[0].message.get_content().strip() == "over TLS"


async def test_plain_smtp_to_a_server_requiring_starttls_is_refused(tmp_path: Path) -> None:
    with SecureSmtpSink(tmp_path) as sink, pytest.raises(PermanentDeliveryError):
        await SmtpTransport.from_url(f"smtp://localhost:{sink.port}").send(
            EmailMessage(to=["a@example.com"], subject="s", text="t")
        )
    assert sink.messages == []


async def test_a_wrong_password_is_permanent_and_not_quoted(tmp_path: Path) -> None:
    with SecureSmtpSink(tmp_path) as sink, pytest.raises(PermanentDeliveryError) as caught:
        await secure_transport(sink, "smtp+starttls", password="wrong-pass").send(
            EmailMessage(to=["a@example.com"], subject="s", text="t")
        )

    assert caught.value.kind == "smtp_5xx"
    assert "wrong-pass" not in str(caught.value)
    assert sink.messages == []


# ------------------------------------------------------------- stored templates, in a run

FAST = {"initial_interval": 0.05, "max_interval": 0.1}


async def send_with_template(
    time_env: WorkflowEnvironment, engine: Engine, sink: SmtpSink, step: dict[str, Any],
    data: dict[str, Any], stored: dict[str, Any] | None = None,
) -> str:  # fmt: skip
    with session_scope(engine) as session:
        tenant, _ = create_tenant(session, "Templates")
        if stored is not None:
            put_email_template(session, tenant.id, "welcome", **stored)
    document = {"name": "Welcome", "steps": [{"id": "mail", "type": "send_email", **step}]}
    async with relay_worker(time_env.client, engine, smtp_url=sink.url()) as worker:
        handle = await start_run(
            time_env.client, worker, run_input(document, data, tenant=tenant.id)
        )
        await handle.result()
    return handle.id


async def test_a_stored_template_renders_with_the_run_context_and_variables(
    time_env: WorkflowEnvironment, engine: Engine, sink: SmtpSink
) -> None:
    stored = {"subject": "Welcome, {{ name }}", "text": "Hi {{ name }}, your plan is {{ plan }}.",
              "html": "<p>Hi <b>{{ name }}</b> ({{ workflow.name }}, {{ today }})</p>"}  # fmt: skip
    step = {"to": "{{ email }}", "cc": ["boss@example.com"], "template": "welcome",
            "variables": {"plan": "{{ tier | upper }}"}}  # fmt: skip

    run_id = await send_with_template(
        time_env, engine, sink, step, {"email": "ann@example.com", "name": "Ann", "tier": "pro"},
        stored,
    )  # fmt: skip

    [received] = sink.messages
    message = received.message
    assert message["Subject"] == "Welcome, Ann"
    assert message["Message-ID"] == f"<{run_id}-mail@relay>"  # the step's idempotency key
    assert sorted(received.rcpt_tos) == ["ann@example.com", "boss@example.com"]
    parts = {p.get_content_type(): p.get_content().strip() for p in message.iter_parts()}
    assert parts["text/plain"] == "Hi Ann, your plan is PRO."
    # ``today`` is the workflow's clock, which the session's time-skipping server may have moved
    # years ahead: compare with the run's own start, not the wall clock.
    started = (await time_env.client.get_workflow_handle(run_id).describe()).start_time
    assert parts["text/html"] == f"<p>Hi <b>Ann</b> (Welcome, {started.date().isoformat()})</p>"


async def test_the_steps_own_subject_wins_over_the_templates(
    time_env: WorkflowEnvironment, engine: Engine, sink: SmtpSink
) -> None:
    stored = {"subject": "Stored", "text": "Body", "html": None}
    step = {"to": "a@example.com", "template": "welcome", "subject": "Mine"}

    await send_with_template(time_env, engine, sink, step, {}, stored)

    assert sink.messages[0].message["Subject"] == "Mine"
    assert sink.messages[0].message.get_content_type() == "text/plain"


async def test_a_missing_template_is_a_permanent_failure_naming_it(
    time_env: WorkflowEnvironment, engine: Engine, sink: SmtpSink
) -> None:
    step = {"to": "a@example.com", "template": "welcome", "retry": FAST}

    run_id = await send_with_template(time_env, engine, sink, step, {})

    assert sink.messages == []
    assert steps_of(engine, run_id)["mail"].error == {
        "type": "template_not_found",
        "message": "email template 'welcome' does not exist",
        "retryable": False,
    }


async def test_event_data_that_looks_like_a_secret_reference_stays_text(
    time_env: WorkflowEnvironment, engine: Engine, sink: SmtpSink
) -> None:
    stored = {"subject": "s", "text": "Note: {{ note }}", "html": None}
    step = {"to": "a@example.com", "template": "welcome"}

    await send_with_template(
        time_env, engine, sink, step, {"note": "{{ secrets.SMTP_PASSWORD }}"}, stored
    )

    assert sink.messages[0].message.get_content().strip() == "Note: { { secrets.SMTP_PASSWORD }}"
