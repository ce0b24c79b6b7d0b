"""Actions that reach out: email, SMS, HTTP, Slack, a team's own activity, in-app notifications.

What each one's configuration becomes at run time is ``definitions.actions``
(``prepare_action_config``); here is what the language accepts and checks.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from definitions.actions import AUTH_FIELDS, BODY_FORMATS, HTTP_METHODS, PRESETS, ROLE_FIELDS
from definitions.models import Edge, Node
from definitions.nodes.fields import (
    BODY,
    DATA,
    INPUT,
    Absent,
    HttpAuth,
    Template,
    optional,
    param,
)
from definitions.nodes.spec import Found, NodeType, keyed, rename
from definitions.templates import has_expression

FAILS = frozenset({None, "error"})
"""An action goes on by its plain edge, or by its ``error`` edge when it failed."""


def _recipient(node: Node, config: str, leaving: list[Edge]) -> Found:
    """A ``recipient`` role (organizer, invitee, both, custom) instead of an address."""
    recipient = node.config.get("recipient")
    if recipient in (None, "") or has_expression(recipient) or node.config.get("to"):
        return []
    roles = ROLE_FIELDS[node.type]
    if recipient not in roles:
        return [(f"{config}.recipient", f"recipient is one of {', '.join(sorted(roles))}")]
    (custom_field,) = roles["custom"]
    if recipient == "custom" and not node.config.get(custom_field):
        return [(f"{config}.{custom_field}", f"a custom recipient needs {custom_field}")]
    return []


def _email_shape(config: dict[str, Any], where: dict[str, str], problems: list[Any]) -> list[Any]:
    # The meeting engine writes the body under "template"; a stored template's name is a single
    # token, a body is prose.
    template = config.get("template")
    if isinstance(template, str) and ("{{" in template or " " in template.strip()):
        rename(config, where, "template", "body")
    return []


def _http_problems(node: Node) -> list[tuple[str, str]]:
    """Only literal values are checked: a templated value is known at run time only."""
    config = node.config
    problems: list[tuple[str, str]] = []
    method = config.get("method")
    if _literal(method) and str(method).upper() not in HTTP_METHODS:
        allowed = ", ".join(sorted(HTTP_METHODS))
        problems.append(("method", f"method must be one of {allowed}"))
    body_format = config.get("body_format")
    if body_format is not None and body_format not in BODY_FORMATS:
        problems.append(("body_format", "body_format is 'json' or 'form'"))
    elif body_format == "form" and not isinstance(_literal(config.get("body")) or {}, dict):
        problems.append(("body", "a form body is an object of field names and values"))
    preset = config.get("preset")
    if preset is not None and preset not in PRESETS:
        problems.append(("preset", f"preset is one of {', '.join(sorted(PRESETS))}"))
    elif preset is not None and not isinstance(config.get("body") or {}, dict):
        problems.append(("body", f"the {preset} preset merges an object body (webhook_data)"))
    problems += _auth_problems(config.get("auth"))
    dedupes = config.get("receiver_dedupes")
    if dedupes is not None and not isinstance(dedupes, bool):
        problems.append(("receiver_dedupes", "receiver_dedupes is true or false"))
    expect = config.get("expect")
    if expect is not None and not (
        isinstance(expect, list)
        and all(isinstance(s, int) and 100 <= s <= 599 for s in expect)
        and expect
    ):
        problems.append(("expect", "expect is a list of HTTP status codes, e.g. [200, 201]"))
    return problems


def _auth_problems(auth: Any) -> list[tuple[str, str]]:
    if auth is None:
        return []
    if not isinstance(auth, dict) or auth.get("type") not in AUTH_FIELDS:
        kinds = " or ".join(repr(k) for k in AUTH_FIELDS)
        return [("auth", f'auth is {{"type": {kinds}, ...}}')]
    return [
        (f"auth.{name}", f"{auth['type']} auth needs {name!r}")
        for name in AUTH_FIELDS[auth["type"]]
        if auth.get(name) in (None, "")
    ]


def _activity_problems(node: Node) -> list[tuple[str, str]]:
    name = node.config.get("activity") or node.name
    if not isinstance(name, str) or not name.strip():
        return [("activity", "an activity step needs the activity's name ('name')")]
    if "{{" in name or "{%" in name:
        return [("activity", "the activity's name cannot be a template")]
    queue = node.config.get("task_queue")
    if queue is not None and (not isinstance(queue, str) or not queue.strip()):
        return [("task_queue", "task_queue must be a task queue's name")]
    return []


def _literal(value: Any) -> Any:
    """``value`` unless it is a template (decided at run time), else None."""
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        return None
    return value


RECEIVER_DEDUPES = (
    "the receiver honours the Idempotency-Key header: when Relay cannot tell whether a request "
    "arrived (the worker died while sending, the attempt timed out or was cancelled after the "
    "request began to leave), it sends the request again with the same key instead of failing "
    "the step outcome_unknown (default no)"
)
"""``http_request`` ``receiver_dedupes``: what it means (the schema's and the builder's text)."""

_RECIPIENT = param(
    str | Absent,
    optional(
        "send_email/send_sms: a role of the event type (custom: custom_email/custom_phone); "
        "notify: the user id or email the notification is for",
        examples=["organizer", "invitee", "both", "custom"],
    ),
)
_TO = param(str | list[str] | Absent, optional("recipient(s): an email address or E.164 number"))
_URL = param(str | Absent, optional("where an http_request or slack step sends: https://…"))
_WEBHOOK_URL = param(str | Absent, optional("another name for url"))

SEND_EMAIL = NodeType(
    "send_email",
    "action",
    keys=frozenset(
        {
            "to",
            "cc",
            "bcc",
            "from",
            "subject",
            "body",
            "html",
            "template",
            "variables",
            "recipient",
            "custom_email",
        }
    ),  # fmt: skip
    aliases={"email": {}},
    key_aliases={
        "to_email": "to",
        "from_email": "from",
        "message": "body",
        "text": "body",
        "template_id": "template",
    },
    shape=_email_shape,
    needs=(("to", "recipient"), ("subject", "template"), ("body", "html", "template")),
    checks=(_recipient,),
    leaving=FAILS,
    schema={
        "to": _TO,
        "cc": param(str | list[str] | Absent),
        "bcc": param(str | list[str] | Absent),
        "from": param(str | Absent),
        "subject": param(str | Absent),
        "body": BODY,
        "html": param(str | Absent),
        "template": param(str | Absent, optional("a stored email template's name")),
        "variables": param(dict[str, Any] | Absent),
        "recipient": _RECIPIENT,
    },
)
SEND_SMS = NodeType(
    "send_sms",
    "action",
    keys=frozenset({"to", "body", "recipient", "custom_phone"}),
    aliases={"sms": {}},
    key_aliases={"to_phone": "to", "phone": "to", "message": "body"},
    needs=(("to", "recipient"), ("body",)),
    checks=(_recipient,),
    leaving=FAILS,
)
HTTP_REQUEST = NodeType(
    "http_request",
    "action",
    keys=frozenset(
        {
            "url",
            "method",
            "headers",
            "query",
            "body",
            "body_format",
            "auth",
            "preset",
            "expect",
            "request_timeout",
            "follow_redirects",
            "receiver_dedupes",
        }
    ),  # fmt: skip
    aliases={"webhook": {}, "call_webhook": {}},
    key_aliases={"webhook_url": "url", "data": "body", "webhook_data": "body"},
    needs=(("url",),),
    checks=(keyed(_http_problems),),
    leaving=FAILS,
    schema={
        "url": _URL,
        "method": param(
            str | Absent,
            optional("HTTP method", enum=["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"]),
        ),
        "headers": param(dict[str, str] | Absent),
        "query": param(dict[str, Any] | Absent),
        "webhook_url": _WEBHOOK_URL,
        "webhook_data": param(
            Any, optional("fields merged into a preset's body (another name for body)")
        ),
        "body_format": param(
            str | Absent,
            optional(
                "send the body as JSON (default) or as an HTML form", enum=sorted(BODY_FORMATS)
            ),
        ),
        "auth": param(
            HttpAuth | Absent, optional('{"type": "bearer", "token": "{{ secrets.TOKEN }}"}')
        ),
        "preset": param(
            str | Absent,
            optional(
                "a body shape: scheduling_webhook sends the event, workflow, run and timestamp",
                enum=sorted(PRESETS),
            ),
        ),
        "expect": param(
            list[Annotated[int, Field(ge=100, le=599)]] | Absent,
            optional("the statuses that count as success, e.g. [200, 201] (default: any 2xx)"),
        ),
        "request_timeout": param(
            float | Absent, optional("seconds to wait for the answer (default 30)")
        ),
        "follow_redirects": param(
            bool | Absent, optional("follow redirects, each checked (default no)")
        ),
        "receiver_dedupes": param(bool | Absent, optional(RECEIVER_DEDUPES)),
    },
)
SLACK = NodeType(
    "slack",
    "action",
    keys=frozenset(
        {
            "url",
            "text",
            "blocks",
            "attachments",
            "thread_ts",
            "mrkdwn",
            "unfurl_links",
            "unfurl_media",
            "username",
            "icon_emoji",
            "icon_url",
            "channel",
        }
    ),  # fmt: skip
    aliases={"slack_message": {}},
    key_aliases={"webhook_url": "url", "message": "text"},
    needs=(("url",), ("text", "blocks")),
    leaving=FAILS,
    schema={
        "text": param(str | Absent, optional("a Slack message's text")),
        "blocks": param(
            list[dict[str, Any]] | Template | Absent, optional("Slack Block Kit blocks")
        ),
        "channel": param(
            str | Absent, optional("a Slack channel, where the webhook allows another")
        ),
    },
)
ACTIVITY = NodeType(
    "activity",
    "action",
    keys=frozenset({"activity", "task_queue", "input"}),
    key_aliases={"activity_name": "activity", "queue": "task_queue"},
    checks=(keyed(_activity_problems),),
    leaving=FAILS,
    schema={
        "input": INPUT,
        "activity": param(str | Absent, optional("the activity's registered name")),
        "task_queue": param(
            str | Absent, optional("the task queue its worker polls (default: Relay's)")
        ),
    },
)
NOTIFY = NodeType(
    "notify",
    "action",
    keys=frozenset({"recipient", "message", "body", "text", "link", "notification_type", "data"}),
    aliases={"send_notification": {}, "internal_notification": {}},
    needs=(("recipient",), ("message", "body", "text")),
    leaving=FAILS,
    schema={
        "data": DATA,
        "message": param(str | Absent, optional("a notification's text (for email/SMS: the body)")),
        "link": param(
            str | Absent, optional('where the notification leads: "/leads/{{ lead.id }}"')
        ),
        "notification_type": param(
            str | Absent, optional("a notification's kind", examples=["in_app"])
        ),
    },
)

TYPES = (SEND_EMAIL, SEND_SMS, HTTP_REQUEST, SLACK, ACTIVITY, NOTIFY)
