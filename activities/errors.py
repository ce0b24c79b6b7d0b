"""Typed delivery failures raised by the transport clients.

The activity layer turns these into Temporal failures: a `TransientDeliveryError` is left to the
retry policy, a `PermanentDeliveryError` becomes a non-retryable `ApplicationError(type=kind)`.
Messages name the fault (kind, status, host) and never carry message bodies, headers, credentials
or full recipient addresses, because they end up in workflow histories and logs.
"""

from __future__ import annotations

from typing import ClassVar


class DeliveryError(Exception):
    """A send failed; `kind` is a short machine name such as "smtp_4xx" or "http_500"."""

    retryable: ClassVar[bool] = False

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind
        self.detail = detail


class TransientDeliveryError(DeliveryError):
    """A retry may succeed: network, timeout, SMTP 4xx, HTTP 5xx/408/429.

    ``maybe_delivered``: the request went out and no answer came (a read timeout, a connection
    dropped after sending), so the receiver may have acted on it. Such a send is never repeated
    under its key (``activities.effects``): a retry would be a second effect to a receiver
    that cannot tell the two apart."""

    retryable = True

    def __init__(self, kind: str, detail: str = "", *, maybe_delivered: bool = False) -> None:
        super().__init__(kind, detail)
        self.maybe_delivered = maybe_delivered


class PermanentDeliveryError(DeliveryError):
    """Retrying the same send cannot succeed (invalid recipient, HTTP 4xx, SMTP 5xx)."""

    retryable = False
