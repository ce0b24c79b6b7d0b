"""Posting to a Slack incoming webhook through the shared `HttpCaller` (same SSRF policy)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from activities.errors import PermanentDeliveryError, TransientDeliveryError
from activities.http import HttpCaller

MESSAGE_FIELDS = (
    "text", "blocks", "attachments", "thread_ts", "mrkdwn", "unfurl_links", "unfurl_media",
    "username", "icon_emoji", "icon_url", "channel",
)  # fmt: skip
"""What a step may put in the message; the rest of its configuration is Relay's."""
_ANY_STATUS = list(range(100, 600))
# Slack answers errors as a short plain-text code ("invalid_payload", "no_text"…).
_SLACK_CODE = re.compile(r"[a-z_]{1,64}")


def slack_message(config: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Slack receives: the step's message fields that are set."""
    return {k: config[k] for k in MESSAGE_FIELDS if config.get(k) not in (None, "", [])}


async def post_to_slack(
    caller: HttpCaller,
    url: str,
    message: dict[str, Any],
    idempotency_key: str,
    timeout: float = 30.0,  # noqa: ASYNC109 - forwarded to the HTTP client
) -> dict[str, Any]:
    """POST ``message``; a 2xx is the receipt, errors are classified as Slack documents them:
    429 and 5xx are worth a retry, any other answer (400 ``invalid_payload``, 403
    ``action_prohibited``, 404 ``no_service``…) will not change by retrying."""
    result = await caller.request(
        method="POST",
        url=url,
        json_body=message,
        idempotency_key=idempotency_key,
        timeout=timeout,
        expect=_ANY_STATUS,  # classified here, with Slack's error code
    )
    status = int(result["status"])
    answer = (result.get("text") or "").strip()
    if 200 <= status < 300:
        return {"status": status, "response": answer[:200]}
    code = answer if _SLACK_CODE.fullmatch(answer) else ""
    detail = f"Slack answered HTTP {status}" + (f" {code}" if code else "")
    if status >= 500 or status in (408, 429):
        raise TransientDeliveryError(f"http_{status}", detail)
    raise PermanentDeliveryError(f"slack_{code}" if code else f"http_{status}", detail)
