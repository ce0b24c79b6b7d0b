"""The delivery actions: one method per side effect, over injected clients.

Each action records its own step (running → completed) and its delivery in the database, so a
Relay run needs no activity beyond the ones a hand-written workflow would call. A delivered
idempotency key is never sent again: a retry after a lost acknowledgement returns the receipt.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.engine import Engine
from temporalio import activity

from activities.bookkeeping import start_action
from activities.effects import MASK, Send, deliver_once, heartbeats_throughout, mask_secrets
from activities.email import EmailMessage, EmailTransport
from activities.http import EMPTY_TEMPLATE, HttpCaller, blank_fields, blank_template_problem
from activities.signing import SIGNING_SECRET_NAME
from activities.slack import post_to_slack, slack_message
from activities.sms import SmsTransport
from definitions.actions import TEMPLATE_CONTEXT
from definitions.errors import TemplateRenderError
from definitions.templates import render, resolve_secrets, template_context_clock
from storage.db import session_scope
from storage.email_templates import get_email_template
from storage.models import Delivery
from storage.secrets import SecretBox
from storage.sent_messages import seal
from storage.workflows import get_version
from workflows.contract import ActionInput, RunRef, permanent

SecretsLookup = Callable[[str], dict[str, str]]
"""tenant id → its secrets, decrypted (a blocking call: the actions run it in a thread)."""


def no_secrets(_tenant_id: str) -> dict[str, str]:
    return {}


class Actions:
    def __init__(
        self,
        engine: Engine,
        email: EmailTransport,
        sms: SmsTransport,
        http: HttpCaller,
        secrets: SecretsLookup = no_secrets,
        signing_secret: str | None = None,
        message_box: SecretBox | None = None,
    ) -> None:
        self._engine = engine
        self._email = email
        self._sms = sms
        self._http = http
        self._secrets = secrets
        self._signing_secret = signing_secret
        """Signs the HTTP calls of tenants that have no ``RELAY_SIGNING_SECRET`` secret."""
        self._message_box = message_box
        """Seals what each delivery sent (``storage.sent_messages``); None: stored as JSON."""

    @activity.defn(name="send_email")
    @heartbeats_throughout
    async def send_email(self, input: ActionInput) -> dict[str, Any]:
        # Taken out before secrets are resolved: event data that merely looks like a secret
        # reference must stay text, not become the secret inside a template's output.
        context = input.config.pop(TEMPLATE_CONTEXT, None)
        config, secrets = await self._begin(input)
        subject, text, html = await self._email_content(input.run.tenant_id, config, context)
        message = EmailMessage(
            to=address_list(config.get("to")),
            cc=address_list(config.get("cc")),
            bcc=address_list(config.get("bcc")),
            sender=str(config.get("from") or ""),
            subject=subject,
            text=text,
            html=html,
            message_id=input.idempotency_key,
        )
        if message.text is None and message.html is None:
            raise permanent("an email needs a body or html", "invalid_config")
        return await self._deliver(
            input,
            channel="email",
            transport=self._email.name,
            recipient=_email_recipient(message),
            message=_email_sent(message, self._email.default_sender),
            send=lambda seconds: self._email.send(message, seconds),
            secrets=secrets,
        )

    @activity.defn(name="send_sms")
    @heartbeats_throughout
    async def send_sms(self, input: ActionInput) -> dict[str, Any]:
        config, secrets = await self._begin(input)
        to, body = as_text(config.get("to")), as_text(config.get("body"))
        # The receipt (Twilio's message sid and status) is kept in the delivery log.
        return await self._deliver(
            input,
            channel="sms",
            transport=self._sms.name,
            recipient=_mask(to),
            message={"to": [to], "body": body},
            send=lambda seconds: self._sms.send(to, body, input.idempotency_key, seconds),
            secrets=secrets,
        )

    @activity.defn(name="http_request")
    @heartbeats_throughout
    async def http_request(self, input: ActionInput) -> dict[str, Any]:
        config, secrets = await self._begin(input, signing=True)
        url = as_text(config.get("url"))
        signing_secret = secrets.get(SIGNING_SECRET_NAME) or self._signing_secret
        headers = {str(k): as_text(v) for k, v in (config.get("headers") or {}).items()}
        if config.get("auth"):
            headers["Authorization"] = _authorization(config["auth"])
        await self._refuse_blank(input, url, headers)
        form = config.get("body_format") == "form"
        if form and not isinstance(config.get("body") or {}, dict):
            raise permanent("a form body is an object of field names and values", "invalid_body")
        method = as_text(config.get("method") or "POST").upper()
        return await self._deliver(
            input,
            channel="http",
            transport="http",
            recipient=_host(url),
            message={
                "method": method,
                "url": url,
                "query": config.get("query"),
                # Credentials are not content: the Authorization header is named, not shown.
                "headers": {k: MASK if k == "Authorization" else v for k, v in headers.items()},
                "body": config.get("body"),
            },
            send=lambda seconds: self._http.request(
                method=method,
                url=url,
                headers=headers,
                query=config.get("query"),
                json_body=None if form else config.get("body"),
                form_body=(config.get("body") or {}) if form else None,
                timeout=min(float(config.get("request_timeout") or 30.0), seconds),
                idempotency_key=input.idempotency_key,
                expect=_statuses(config.get("expect")),
                signing_secret=signing_secret,
                follow_redirects=bool(config.get("follow_redirects")),
            ),
            secrets=secrets,
            # The receiver honours Idempotency-Key: a request that may have arrived unanswered
            # is sent again rather than failing the step outcome_unknown.
            resend=config.get("receiver_dedupes") is True,
        )

    @activity.defn(name="slack")
    @heartbeats_throughout
    async def slack(self, input: ActionInput) -> dict[str, Any]:
        config, secrets = await self._begin(input)
        url = as_text(config.get("url"))
        await self._refuse_blank(input, url, {})
        return await self._deliver(
            input,
            channel="slack",
            transport="slack",
            recipient=_host(url),
            # The webhook's URL is its credential: only the message is kept.
            message={"payload": slack_message(config)},
            send=lambda seconds: post_to_slack(
                self._http, url, slack_message(config), input.idempotency_key, seconds
            ),
            secrets=secrets,
        )

    async def _email_content(
        self, tenant_id: str, config: dict[str, Any], context: dict[str, Any] | None
    ) -> tuple[str, str | None, str | None]:
        """Subject, text and html: the step's own, else its stored ``template`` rendered with
        the run context and the step's ``variables`` (the step's fields win over the template's).
        """
        subject = as_text(config.get("subject"))
        text, html = _optional_text(config.get("body")), _optional_text(config.get("html"))
        name = as_text(config.get("template"))
        if not name:
            return subject, text, html
        stored = await asyncio.to_thread(self._email_template, tenant_id, name)
        if stored is None:
            raise permanent(f"email template {name!r} does not exist", "template_not_found")
        scope = dict(context or {})
        if isinstance(scope.get("now"), str):
            scope.update(template_context_clock(datetime.fromisoformat(scope["now"])))
        variables = config.get("variables") or {}
        if not isinstance(variables, dict):
            raise permanent("variables must be an object", "invalid_config")
        scope.update(variables)
        try:
            return (
                subject or as_text(render(stored[0], scope)),
                text if text is not None else _optional_text(render(stored[1], scope)),
                html if html is not None else _optional_text(render(stored[2], scope)),
            )
        except TemplateRenderError as exc:
            raise permanent(f"email template {name!r}: {exc}", "template_error") from exc

    def _email_template(
        self, tenant_id: str, name: str
    ) -> tuple[str, str | None, str | None] | None:
        with session_scope(self._engine) as session:
            row = get_email_template(session, tenant_id, name)
            return None if row is None else (row.subject, row.text, row.html)

    async def _refuse_blank(self, input: ActionInput, url: str, headers: dict[str, str]) -> None:
        """Fail the step as a configuration error, naming the template's variables, when its
        URL or a header rendered empty (``activities.http.blank_fields``): no retry can fill
        them in. The step's templates are read only then."""
        fields = blank_fields(url, headers)
        if not fields:
            return
        config = await asyncio.to_thread(self._step_config, input.run, input.step.node_id)
        rendered = {"url": url, **{f"headers.{name}": value for name, value in headers.items()}}
        problems = [
            problem
            for field in fields
            if (problem := blank_template_problem(field, _source(config, field), rendered[field]))
        ]
        if problems:
            # Its one attempt is on record, as for a step that failed while sending.
            await asyncio.to_thread(self._mark_started, input)
            raise permanent("; ".join(problems), EMPTY_TEMPLATE)

    def _mark_started(self, input: ActionInput) -> None:
        with session_scope(self._engine) as session:
            start_action(session, input)

    def _step_config(self, run: RunRef, node_id: str) -> dict[str, Any] | None:
        """The step's configuration as its version defines it, templates unrendered; None for
        a run of no stored version."""
        with session_scope(self._engine) as session:
            version = get_version(session, run.workflow_id, run.version)
        if version is None or version.tenant_id != run.tenant_id:
            return None
        for node in version.definition.get("nodes") or []:
            if isinstance(node, dict) and node.get("id") == node_id:
                config = node.get("config")
                return config if isinstance(config, dict) else {}
        return None

    # --- the shared life of an action ---------------------------------------------------------

    async def _begin(
        self, input: ActionInput, *, signing: bool = False
    ) -> tuple[dict[str, Any], dict[str, str]]:
        """The configuration with secrets resolved, and the tenant's secrets (read only when
        the step names one, or `signing` needs the tenant's signing secret)."""
        secrets: dict[str, str] = {}
        if signing or _mentions_secrets(input.config):
            secrets = await asyncio.to_thread(self._secrets, input.run.tenant_id)
        try:
            resolved: dict[str, Any] = resolve_secrets(input.config, secrets)
        except TemplateRenderError as exc:
            raise permanent(str(exc), "template_error") from exc
        return resolved, secrets

    async def _deliver(
        self,
        input: ActionInput,
        *,
        channel: str,
        transport: str,
        recipient: str,
        message: dict[str, Any],
        send: Send,
        secrets: dict[str, str],
        resend: bool = False,
    ) -> dict[str, Any]:
        values = _secret_values(secrets)
        delivery = _delivery(input, channel, transport, mask_secrets(recipient, values))
        delivery.message = seal(mask_secrets(message, values), self._message_box)
        return await deliver_once(self._engine, delivery, send, values, step=input, resend=resend)

    async def deliver_email(self, input: ActionInput, message: EmailMessage) -> dict[str, Any]:
        """Send ``message`` once under the step's idempotency key and log its delivery, for a
        step whose email accompanies its own work (an export's link): the receipt, adopted
        from the delivery log when a retry comes after the email was sent. The caller records
        the step."""
        delivery = _delivery(input, "email", self._email.name, _email_recipient(message))
        delivery.message = seal(_email_sent(message, self._email.default_sender), self._message_box)
        return await deliver_once(
            self._engine, delivery, lambda seconds: self._email.send(message, seconds)
        )


def _delivery(input: ActionInput, channel: str, transport: str, recipient: str) -> Delivery:
    return Delivery(
        tenant_id=input.run.tenant_id,
        idempotency_key=input.idempotency_key,
        run_id=input.run.run_id,
        step_key=input.step.step_key,
        channel=channel,
        transport=transport,
        recipient=recipient,
        status="sending",
    )


def _email_sent(message: EmailMessage, default_sender: str) -> dict[str, Any]:
    """What the delivery keeps of an email (``storage.sent_messages``): all of it."""
    return {
        "to": message.to,
        "cc": message.cc,
        "bcc": message.bcc,
        "from": message.sender or default_sender,
        "subject": message.subject,
        "text": message.text,
        "html": message.html,
    }


def _email_recipient(message: EmailMessage) -> str:
    """Where an email went, for the delivery log: the first address masked, and a count."""
    recipient = _mask(message.to[0]) if message.to else ""
    if len(message.to) > 1:
        recipient += f" (+{len(message.to) - 1})"
    return recipient


def _secret_values(secrets: dict[str, str]) -> list[str]:
    # Longest first, so a secret containing another is masked whole.
    return sorted({v for v in secrets.values() if v}, key=len, reverse=True)


def _mentions_secrets(value: Any) -> bool:
    if isinstance(value, str):
        return "secrets" in value
    if isinstance(value, dict):
        return any(_mentions_secrets(item) for item in value.values())
    if isinstance(value, list | tuple):
        return any(_mentions_secrets(item) for item in value)
    return False


def address_list(value: Any) -> list[str]:
    """A step's ``to``/``cc``/``bcc``: a list, or one comma-separated string."""
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def as_text(value: Any) -> str:
    return "" if value is None else str(value)


def _optional_text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _mask(address: str) -> str:
    """``jane@example.com`` → ``j***@example.com``; ``+15551234567`` → ``+1555***67``.

    The delivery log says where a message went without storing who received it.
    """
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{address[:5]}***{address[-2:]}" if len(address) > 7 else "***"


def _authorization(auth: Any) -> str:
    """The Authorization header of ``{"type": "basic", "username", "password"}`` or
    ``{"type": "bearer", "token"}`` (values may come from secrets)."""
    kind = auth.get("type") if isinstance(auth, dict) else None
    if kind == "basic":
        pair = f"{as_text(auth.get('username'))}:{as_text(auth.get('password'))}".encode()
        return "Basic " + base64.b64encode(pair).decode("ascii")
    if kind == "bearer" and auth.get("token"):
        return f"Bearer {as_text(auth['token'])}"
    raise permanent("auth must be basic (username, password) or bearer (token)", "invalid_auth")


def _statuses(expect: Any) -> list[int] | None:
    if expect in (None, "", []):
        return None
    try:
        return [int(status) for status in (expect if isinstance(expect, list) else [expect])]
    except (TypeError, ValueError) as exc:
        raise permanent("expect must list HTTP status codes", "invalid_config") from exc


def _source(config: dict[str, Any] | None, field: str) -> Any:
    """The template of ``field`` (``url``, ``headers.<name>``) in a step's configuration."""
    if config is None:
        return None
    if field == "url":
        return config.get("url")
    headers = config.get("headers")
    return headers.get(field.removeprefix("headers.")) if isinstance(headers, dict) else None


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""
