"""Loopback peers for tests: a real SMTP sink, a recording HTTP server and a fake Twilio API.

Every peer binds 127.0.0.1 on port 0 (the OS picks a free port) and runs in its own thread, so
the code under test talks to it over real sockets with its real client library.
"""

from __future__ import annotations

import base64
import json
import secrets
import socket
import ssl
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal, Self, cast
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

LOOPBACK = "127.0.0.1"


def unused_port() -> int:
    """A port nothing listens on (bound then released), for connection-refused tests."""
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


# ---------------------------------------------------------------------------------------- SMTP
@dataclass
class ReceivedEmail:
    """One message accepted by `SmtpSink`: envelope plus the parsed MIME message."""

    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class _PortZeroController(Controller):
    # aiosmtpd pings self.port after start-up; with port 0 that must be the port actually bound.
    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        super()._trigger_server()


class SmtpSink:
    """A real SMTP server (aiosmtpd) collecting messages; use as a context manager.

    Set `fail_with` to an SMTP reply (e.g. "451 try later") to answer it at `fail_on`
    ("rcpt" or "data"); `refuse` maps single addresses to a reply for partial refusals.
    """

    def __init__(self) -> None:
        self.messages: list[ReceivedEmail] = []
        self.fail_with: str | None = None
        self.fail_on: Literal["rcpt", "data"] = "rcpt"
        self.refuse: dict[str, str] = {}
        self._controller = _PortZeroController(self, hostname=LOOPBACK, port=0)

    @property
    def port(self) -> int:
        return int(self._controller.port)

    def url(self, scheme: str = "smtp", query: str = "") -> str:
        """An SMTP URL pointing at this sink, e.g. `smtp://127.0.0.1:1234?from=a@b.c`."""
        return f"{scheme}://{LOOPBACK}:{self.port}" + (f"?{query}" if query else "")

    def __enter__(self) -> Self:
        self._controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._controller.stop()

    # aiosmtpd handler hooks ----------------------------------------------------------------
    async def handle_RCPT(  # aiosmtpd hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if self.fail_with and self.fail_on == "rcpt":
            return self.fail_with
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.fail_with and self.fail_on == "data":
            return self.fail_with
        parsed = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(ReceivedEmail(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted"


# ---------------------------------------------------------------------------------------- HTTP
@dataclass
class RecordedRequest:
    """One request as the server saw it; header names are lower-cased."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode())


@dataclass
class ScriptedResponse:
    """What to answer: JSON unless `raw` is given; `delay` seconds before answering."""

    status: int = 200
    json: Any = field(default_factory=lambda: {"ok": True})
    raw: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Responder = Callable[[RecordedRequest], ScriptedResponse]


class _LoopbackHttpServer:
    """Threaded stdlib HTTP server on 127.0.0.1:0 that records requests and asks `_respond`."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer((LOOPBACK, 0), self._handler_class())
        self._server.daemon_threads = True
        # A short poll interval keeps shutdown (and so each test's teardown) fast.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def url(self, path: str = "/") -> str:
        return self.base_url + path

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()  # wakes handlers sleeping on a scripted delay
        self._server.shutdown()
        self._server.server_close()

    def _respond(self, request: RecordedRequest) -> ScriptedResponse:
        raise NotImplementedError

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                recorded = RecordedRequest(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query, keep_blank_values=True),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                peer.requests.append(recorded)
                answer = peer._respond(recorded)
                if answer.delay and peer._stopping.wait(answer.delay):
                    return
                payload = answer.raw if answer.raw is not None else json.dumps(answer.json).encode()
                try:
                    self.send_response(answer.status)
                    if answer.raw is None:
                        self.send_header("Content-Type", "application/json")
                    for name, value in answer.headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if self.command != "HEAD":
                        self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout/truncation tests); nothing to report

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output quiet

        return Handler


class RecordingHttpServer(_LoopbackHttpServer):
    """Records every request; answers scripted responses in order, then 200 {"ok": true}.

    With `dedupes`, it honours `Idempotency-Key` as a deduplicating API does: a request with a
    key it has seen is answered at once with the first request's answer and kept in `deduped`
    (its effect is not repeated), whether or not that first answer has gone out yet."""

    def __init__(self, dedupes: bool = False) -> None:
        super().__init__()
        self.responses: deque[ScriptedResponse] = deque()
        self.dedupes = dedupes
        self.deduped: list[RecordedRequest] = []
        self._answers: dict[str, ScriptedResponse] = {}
        self._answers_lock = threading.Lock()

    def script(self, status: int = 200, body_json: Any = None, **options: Any) -> None:
        """Queue one response (`raw`, `headers`, `delay` as in ScriptedResponse)."""
        self.responses.append(
            ScriptedResponse(status, {"ok": True} if body_json is None else body_json, **options)
        )

    def _respond(self, request: RecordedRequest) -> ScriptedResponse:
        key = request.headers.get("idempotency-key")
        if not self.dedupes or key is None:
            return self._answer(request)
        with self._answers_lock:
            first = self._answers.get(key)
            if first is None:
                self._answers[key] = answer = self._answer(request)
                return answer
            self.deduped.append(request)
        return replace(first, delay=0.0)

    def _answer(self, request: RecordedRequest) -> ScriptedResponse:
        """The answer to a request acted on (a subclass may answer otherwise)."""
        return self.responses.popleft() if self.responses else ScriptedResponse()


class RecordingHttpsServer(RecordingHttpServer):
    """`RecordingHttpServer` over TLS with a self-signed certificate for `hostname`.

    `server_names` records the TLS server name (SNI) of each connection; `ssl_context()` is a
    client context trusting the certificate, to give to the HTTP client under test. With
    `keep_alive`, a connection serves request after request (HTTP/1.1) instead of one.
    """

    def __init__(self, hostname: str, directory: Path, keep_alive: bool = False) -> None:
        super().__init__()
        if keep_alive:
            handler = cast(type[BaseHTTPRequestHandler], self._server.RequestHandlerClass)
            handler.protocol_version = "HTTP/1.1"
        self.hostname = hostname
        self.server_names: list[str | None] = []
        self._cert, key = _self_signed(hostname, directory)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self._cert, key)
        context.sni_callback = self._record_server_name
        self._server.socket = context.wrap_socket(self._server.socket, server_side=True)

    def _record_server_name(
        self, _socket: ssl.SSLObject | ssl.SSLSocket, name: str | None, _context: ssl.SSLContext
    ) -> None:
        self.server_names.append(name)

    def url_for(self, host: str, path: str = "/") -> str:
        return f"https://{host}:{self.port}{path}"

    def ssl_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self._cert))


def _self_signed(hostname: str, directory: Path) -> tuple[Path, Path]:
    """A certificate for `hostname` (its own issuer) and its key, as PEM files in `directory`."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(hostname)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "peer-cert.pem", directory / "peer-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


# -------------------------------------------------------------------------------------- Twilio
class FakeTwilioApi(_LoopbackHttpServer):
    """Speaks Twilio's Messages API (`POST /2010-04-01/Accounts/{sid}/Messages.json`).

    Checks basic auth, records accepted messages' form fields in `.messages`, answers 400
    code 21211 for `INVALID_TO` and 500 for `SERVER_ERROR_TO` (Twilio's magic test numbers style).
    """

    INVALID_TO = "+15005550001"
    SERVER_ERROR_TO = "+15005550500"

    def __init__(self, account_sid: str = "AC" + "0" * 32, auth_token: str = "secret") -> None:
        super().__init__()
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.messages: list[dict[str, str]] = []

    def _respond(self, request: RecordedRequest) -> ScriptedResponse:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        if request.headers.get("authorization") != f"Basic {expected}":
            return _twilio_error(401, 20003, "Authenticate")
        if request.method != "POST" or request.path != (
            f"/2010-04-01/Accounts/{self.account_sid}/Messages.json"
        ):
            return _twilio_error(404, 20404, "The requested resource was not found")
        fields = {name: values[0] for name, values in request.form.items()}
        if fields.get("To") == self.INVALID_TO:
            return _twilio_error(400, 21211, "Invalid 'To' Phone Number")
        if fields.get("To") == self.SERVER_ERROR_TO:
            return ScriptedResponse(500, {"message": "Internal Server Error"})
        self.messages.append(fields)
        sid = "SM" + secrets.token_hex(16)
        return ScriptedResponse(
            201,
            {
                "sid": sid,
                "account_sid": self.account_sid,
                "status": "queued",
                "to": fields.get("To"),
                "from": fields.get("From"),
                "body": fields.get("Body"),
                "num_segments": "1",
                "direction": "outbound-api",
                "uri": f"/2010-04-01/Accounts/{self.account_sid}/Messages/{sid}.json",
            },
        )


def _twilio_error(status: int, code: int, message: str) -> ScriptedResponse:
    return ScriptedResponse(
        status,
        {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        },
    )
