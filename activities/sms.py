"""SMS transports: Twilio through its official SDK, and a console stand-in without credentials."""

from __future__ import annotations

import asyncio
import logging
import re
from contextvars import ContextVar
from typing import Any, Protocol

import phonenumbers
import requests
from requests.adapters import HTTPAdapter
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from activities.departure import leaving
from activities.errors import DeliveryError, PermanentDeliveryError, TransientDeliveryError

logger = logging.getLogger(__name__)

# "+", then digits with the usual separators; phonenumbers alone would also read letters
# (vanity numbers such as +1-800-FLOWERS), which no E.164 number contains.
_DIALLED = re.compile(r"^\+[\d\s().-]+$")
# Twilio error codes that mean "this recipient can never receive this message".
_INVALID_RECIPIENT_CODES = frozenset({21211, 21614})

# The SDK's messages.create() takes no headers; a context variable carries the key from send()
# into the HTTP client, and asyncio.to_thread copies the context into the worker thread.
_idempotency_token: ContextVar[str | None] = ContextVar("relay_twilio_idempotency", default=None)
# Likewise the step's bound on the call (shorter than the client's own timeout).
_request_timeout: ContextVar[float | None] = ContextVar("relay_twilio_timeout", default=None)


class SmsTransport(Protocol):
    """Sends one SMS; returns a small JSON-able receipt or raises `DeliveryError`."""

    name: str

    async def send(
        self,
        to: str,
        body: str,
        idempotency_key: str,
        timeout: float | None = None,  # noqa: ASYNC109 - the HTTP client's, so the thread ends
    ) -> dict[str, Any]: ...


def validate_e164(number: str) -> str:
    """Return `number` in E.164 form (formatting stripped) or raise PermanentDeliveryError.

    The number must be international (``+`` and a country code) and valid for its country's
    numbering plan (``phonenumbers``): an unassigned range can never receive a message, so
    sending it would only fail later, at Twilio, after a round trip per retry.
    """
    not_e164 = PermanentDeliveryError(
        "invalid_recipient", "phone number is not in E.164 form (+ country code, number)"
    )
    if not _DIALLED.match(number.strip()):
        raise not_e164
    try:
        parsed = phonenumbers.parse(number.strip(), None)
    except phonenumbers.NumberParseException as exc:
        raise not_e164 from exc
    if not phonenumbers.is_valid_number(parsed):
        raise PermanentDeliveryError(
            "invalid_recipient", "phone number is not a valid number for its country"
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


class _ReportingConnection(HTTPConnection):
    """Reports its departure (``activities.departure``) before its first byte, once connected:
    a connection refused or timed out sent nothing, and the retry may send."""

    def send(self, data: Any) -> None:
        if self.sock is None:
            self.connect()
        leaving()
        super().send(data)


class _ReportingHttpsConnection(_ReportingConnection, HTTPSConnection):
    """``_ReportingConnection`` over TLS."""


class _ReportingPool(HTTPConnectionPool):
    ConnectionCls = _ReportingConnection


class _ReportingHttpsPool(HTTPSConnectionPool):
    ConnectionCls = _ReportingHttpsConnection


class _ReportingAdapter(HTTPAdapter):
    """requests' adapter over connections that report their departure."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {
            "http": _ReportingPool,
            "https": _ReportingHttpsPool,
        }


class _IdempotentHttpClient(TwilioHttpClient):
    """Adds `I-Twilio-Idempotency-Token` to requests made inside `TwilioSmsTransport.send`,
    over connections that report their departure."""

    def __init__(self, timeout: float | None = None) -> None:
        super().__init__(timeout=timeout)
        assert self.session is not None  # pooled connections: the SDK's default
        adapter = _ReportingAdapter()
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    def request(
        self,
        method: str,
        url: str,
        params: dict[str, object] | None = None,
        data: dict[str, object] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> Response:
        token = _idempotency_token.get()
        if token:
            headers = {**(headers or {}), "I-Twilio-Idempotency-Token": token}
        bound = _request_timeout.get()
        if bound is not None:
            timeout = max(min(bound, timeout or self.timeout or bound), 0.05)
        return super().request(method, url, params, data, headers, auth, timeout, allow_redirects)


def classify_twilio_error(exc: BaseException) -> DeliveryError:
    """Map SDK and connection failures to typed errors; the phone number is never included."""
    if isinstance(exc, TwilioException) and isinstance(getattr(exc, "status", None), int):
        status: int = exc.status
        code = getattr(exc, "code", None)
        detail = f"Twilio answered HTTP {status}, code {code}"
        if status == 429 or status >= 500:
            return TransientDeliveryError(f"http_{status}", detail)
        if code in _INVALID_RECIPIENT_CODES:
            return PermanentDeliveryError("invalid_recipient", detail)
        return PermanentDeliveryError(f"twilio_{code}" if code else f"http_{status}", detail)
    if isinstance(exc, requests.ConnectTimeout):
        return TransientDeliveryError("timeout", "Twilio request timed out")
    if isinstance(exc, requests.Timeout):  # sent, not answered: Twilio may have sent the SMS
        return TransientDeliveryError(
            "timeout", "Twilio did not answer in time", maybe_delivered=True
        )
    if isinstance(exc, requests.ConnectionError):
        return TransientDeliveryError("network", "could not reach Twilio")
    return TransientDeliveryError("twilio_error", f"Twilio call failed ({type(exc).__name__})")


class TwilioSmsTransport:
    """Sends through Twilio's Messages API with the real SDK, in a thread (the SDK is blocking)."""

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str,
        api_base_url: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.from_number = from_number
        self.client = Client(
            account_sid, auth_token, http_client=_IdempotentHttpClient(timeout=timeout)
        )
        if api_base_url:
            # Domain.base_url is what every Api resource URL is built from; edge/region
            # (possibly from TWILIO_EDGE/TWILIO_REGION) would rewrite the host again.
            self.client.api.base_url = api_base_url.rstrip("/")
            self.client.edge = None
            self.client.region = None

    async def send(
        self,
        to: str,
        body: str,
        idempotency_key: str,
        timeout: float | None = None,  # noqa: ASYNC109 - the HTTP client's, so the thread ends
    ) -> dict[str, Any]:
        """Create the message, the HTTP call bounded by `timeout` (the transport's own when None
        or longer); raises Transient/PermanentDeliveryError on failure."""
        number = validate_e164(to)
        token = _idempotency_token.set(idempotency_key or None)
        bound = _request_timeout.set(timeout)
        try:
            message = await asyncio.to_thread(
                self.client.messages.create, to=number, from_=self.from_number, body=body
            )
        except DeliveryError:  # the attempt called the send off (``activities.departure``)
            raise
        except Exception as exc:
            raise classify_twilio_error(exc) from exc
        finally:
            _idempotency_token.reset(token)
            _request_timeout.reset(bound)
        return {"transport": self.name, "sid": message.sid, "status": message.status}


class ConsoleSmsTransport:
    """Sends nothing; validates the number and logs the body length only (no PII)."""

    name = "console"

    async def send(
        self,
        to: str,
        body: str,
        idempotency_key: str,
        timeout: float | None = None,  # noqa: ASYNC109 - nothing to wait for
    ) -> dict[str, Any]:
        """Validate, log one line, return a receipt."""
        validate_e164(to)
        logger.info("console SMS not sent: body_len=%d", len(body))
        return {"transport": self.name}


def sms_transport_from_settings(
    account_sid: str | None,
    auth_token: str | None,
    from_number: str | None,
    api_base_url: str | None,
) -> SmsTransport:
    """Twilio when all three credentials are set, console when none are.

    A partial configuration raises ValueError at startup rather than silently dropping SMS.
    """
    values = {"account_sid": account_sid, "auth_token": auth_token, "from_number": from_number}
    missing = [name for name, value in values.items() if not value]
    if len(missing) == len(values):
        return ConsoleSmsTransport()
    if missing:
        raise ValueError(f"Twilio settings incomplete, missing: {', '.join(missing)}")
    assert account_sid and auth_token and from_number
    return TwilioSmsTransport(account_sid, auth_token, from_number, api_base_url)
