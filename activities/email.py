"""Email transports: SMTP via the stdlib client, and a console stand-in when SMTP is unset."""

from __future__ import annotations

import asyncio
import logging
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage as MimeMessage
from email.utils import make_msgid
from typing import Any, Literal, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from activities.departure import leaving
from activities.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError

logger = logging.getLogger(__name__)

# Whitespace and control characters would let a templated address smuggle extra headers or
# SMTP commands; list separators and angle brackets would let one "address" become several.
_FORBIDDEN_IN_ADDRESS = re.compile(r"[\s\x00-\x1f\x7f<>,;]")
# Characters outside RFC 5322 dot-atom text are replaced so any idempotency key is a valid msg-id.
_NOT_MSGID_TEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.@]")

Security = Literal["plain", "starttls", "tls"]
_SCHEMES: dict[str, tuple[Security, int]] = {
    "smtp": ("plain", 25),
    "smtp+starttls": ("starttls", 587),
    "smtps": ("tls", 465),
}


@dataclass(frozen=True)
class EmailMessage:
    """One email to send; `message_id` is the step's idempotency key (e.g. "run-123.step-4")."""

    to: list[str]
    subject: str
    text: str | None = None
    html: str | None = None
    cc: list[str] = field(default_factory=list)
    bcc: list[str] = field(default_factory=list)
    sender: str = ""
    message_id: str = ""


class EmailTransport(Protocol):
    """Sends an `EmailMessage`; returns a small JSON-able receipt or raises `DeliveryError`."""

    name: str
    default_sender: str
    """The sender of a message that names none."""

    async def send(
        self,
        message: EmailMessage,
        timeout: float | None = None,  # noqa: ASYNC109 - also the socket timeout
    ) -> dict[str, Any]: ...


def validate_address(address: str, *, role: str = "recipient") -> str:
    """Return `address` stripped if it is plausibly an address, else raise PermanentDeliveryError.

    Deliberately minimal (one "@" with both sides non-empty, no whitespace, control characters or
    list punctuation): real validation is the receiving server's job, ours is injection safety.
    """
    candidate = address.strip()
    local, at, domain = candidate.partition("@")
    if (
        not at
        or not local
        or not domain
        or "@" in domain
        or _FORBIDDEN_IN_ADDRESS.search(candidate)
    ):
        raise PermanentDeliveryError(f"invalid_{role}", f"a {role} address is malformed")
    return candidate


def format_message_id(key: str) -> str:
    """Turn an idempotency key into an RFC 5322 msg-id body (without angle brackets)."""
    cleaned = _NOT_MSGID_TEXT.sub("-", key.strip())
    return cleaned if "@" in cleaned else f"{cleaned}@relay"


@dataclass(frozen=True)
class _Prepared:
    mime: MimeMessage
    sender: str
    envelope_to: list[str]
    message_id: str


def _prepare(message: EmailMessage, default_sender: str) -> _Prepared:
    """Validate addresses and build the MIME message; Bcc goes only into the envelope."""
    to = [validate_address(a) for a in message.to]
    cc = [validate_address(a) for a in message.cc]
    bcc = [validate_address(a) for a in message.bcc]
    if not to and not cc and not bcc:
        raise PermanentDeliveryError("invalid_recipient", "no recipients")
    sender = validate_address(message.sender or default_sender, role="sender")
    message_id = (
        format_message_id(message.message_id)
        if message.message_id
        else make_msgid(domain="relay").strip("<>")
    )

    mime = MimeMessage()
    mime["From"] = sender
    if to:
        mime["To"] = ", ".join(to)
    if cc:
        mime["Cc"] = ", ".join(cc)
    # A templated subject may span lines; folding it here beats the policy's ValueError.
    mime["Subject"] = " ".join(message.subject.split())
    mime["Message-ID"] = f"<{message_id}>"
    if message.text is not None:
        mime.set_content(message.text)
        if message.html is not None:
            mime.add_alternative(message.html, subtype="html")
    elif message.html is not None:
        mime.set_content(message.html, subtype="html")
    else:
        mime.set_content("")
    return _Prepared(mime, sender, to + cc + bcc, message_id)


def _by_code(code: int, host: str, what: str) -> DeliveryError:
    detail = f"{what} {code} from {host}"
    if 400 <= code < 500:
        return TransientDeliveryError("smtp_4xx", detail)
    if 500 <= code < 600:
        return PermanentDeliveryError("smtp_5xx", detail)
    return TransientDeliveryError("smtp_error", detail)


def classify_smtp_error(exc: BaseException, host: str) -> DeliveryError:
    """Map an smtplib/socket failure to a typed error; server reply texts are dropped (PII)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        # One temporarily refused recipient is worth a retry; only all-5xx is final.
        code = next((c for c in codes if 400 <= c < 500), max(codes, default=550))
        return _by_code(code, host, f"all {len(codes)} recipients refused, reply")
    if isinstance(exc, smtplib.SMTPResponseException):
        return _by_code(exc.smtp_code, host, "reply")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        # STARTTLS or AUTH required by our URL but not offered: a configuration fault.
        return PermanentDeliveryError("smtp_unsupported", f"{host} lacks a required extension")
    if isinstance(exc, ssl.SSLCertVerificationError):
        return PermanentDeliveryError("tls_verify", f"certificate of {host} not trusted")
    if isinstance(exc, TimeoutError | socket.timeout):
        return TransientDeliveryError("timeout", f"SMTP to {host} timed out")
    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
        return TransientDeliveryError("network", f"SMTP connection to {host} failed")
    return TransientDeliveryError("smtp_error", f"SMTP to {host} failed ({type(exc).__name__})")


class SmtpTransport:
    """Real SMTP delivery with the stdlib client, run in a thread so the event loop stays free."""

    name = "smtp"

    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: Security = "plain",
        username: str | None = None,
        password: str | None = None,
        default_sender: str = "relay@localhost",
        timeout: float = 30.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.default_sender = default_sender
        self.timeout = timeout
        self.ssl_context = ssl_context or ssl.create_default_context()

    @classmethod
    def from_url(cls, url: str, default_sender: str = "relay@localhost") -> SmtpTransport:
        """Build from `smtp://`, `smtp+starttls://` or `smtps://[user:pass@]host[:port][?from=addr]`."""
        parts = urlsplit(url)
        if parts.scheme not in _SCHEMES or not parts.hostname:
            raise ValueError("SMTP URL must be smtp://, smtp+starttls:// or smtps:// with a host")
        security, default_port = _SCHEMES[parts.scheme]
        sender = parse_qs(parts.query).get("from", [default_sender])[0]
        return cls(
            parts.hostname,
            parts.port or default_port,
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            default_sender=sender,
        )

    async def send(
        self,
        message: EmailMessage,
        timeout: float | None = None,  # noqa: ASYNC109 - the socket's, so the thread ends too
    ) -> dict[str, Any]:
        """Deliver `message`, each SMTP exchange bounded by `timeout` (the transport's own when
        None or longer); raises Transient/PermanentDeliveryError on failure."""
        prepared = _prepare(message, self.default_sender)
        seconds = self.timeout if timeout is None else max(min(timeout, self.timeout), 0.05)
        try:
            refused = await asyncio.to_thread(self._send_sync, prepared, seconds)
        except DeliveryError:  # the attempt called the send off (``activities.departure``)
            raise
        except Exception as exc:
            raise classify_smtp_error(exc, self.host) from exc
        return {
            "transport": self.name,
            "message_id": prepared.message_id,
            "accepted": len(prepared.envelope_to) - len(refused),
            "refused": len(refused),
        }

    def _send_sync(self, prepared: _Prepared, timeout: float) -> dict[str, Any]:
        smtp: smtplib.SMTP
        if self.security == "tls":
            smtp = _ReportingSmtpSsl(
                self.host, self.port, timeout=timeout, context=self.ssl_context
            )
        else:
            smtp = _ReportingSmtp(self.host, self.port, timeout=timeout)
        with smtp:
            if self.security == "starttls":
                smtp.starttls(context=self.ssl_context)
            if self.username:
                smtp.login(self.username, self.password or "")
            # Returns the recipients refused while others were accepted; all refused raises.
            return dict(
                smtp.send_message(
                    prepared.mime, from_addr=prepared.sender, to_addrs=prepared.envelope_to
                )
            )


class _ReportingSmtp(smtplib.SMTP):
    """Reports its departure (``activities.departure``) before ``DATA``: until the message
    has ended, a server keeps nothing, so an attempt stopped before may send again."""

    def data(self, msg: Any) -> tuple[int, bytes]:
        leaving()
        return super().data(msg)


class _ReportingSmtpSsl(_ReportingSmtp, smtplib.SMTP_SSL):
    """``_ReportingSmtp`` over TLS from the first byte."""


class ConsoleEmailTransport:
    """Sends nothing (the caller keeps the message in its delivery log); logs counts, no PII."""

    name = "console"

    def __init__(self, default_sender: str = "relay@localhost") -> None:
        self.default_sender = default_sender

    async def send(
        self,
        message: EmailMessage,
        timeout: float | None = None,  # noqa: ASYNC109 - nothing to wait for
    ) -> dict[str, Any]:
        """Validate like SMTP would, log one line, and return a receipt."""
        prepared = _prepare(message, self.default_sender)
        logger.info(
            "console email not sent: subject_len=%d recipients=%d",
            len(message.subject),
            len(prepared.envelope_to),
        )
        return {"transport": self.name, "message_id": prepared.message_id}


def email_transport_from_url(
    url: str | None, default_sender: str = "relay@localhost"
) -> EmailTransport:
    """Choose the transport for a configured URL; None, "" or "console" mean no SMTP."""
    if not url or url.strip() in {"console", "console://"}:
        return ConsoleEmailTransport(default_sender)
    return SmtpTransport.from_url(url.strip(), default_sender)
