"""Claims on an effect's idempotency key: whoever sends an effect claims its key first.

A delivery row is the key's claim and then its outcome. ``claim`` inserts it ``sending`` (or
takes it over when the last holder let go: it ``failed``, or its lease lapsed because it
crashed before its request began to leave), atomically on both databases, so two attempts
never send the same key at once. Just before its request leaves, the holder marks the claim
``sent`` (``mark_sent``, ``activities.departure``): a ``sent`` claim whose lease lapsed (its
holder crashed mid-send) becomes ``unknown``, as the request may have arrived.
The holder renews its lease while it sends (``renew``) and settles the outcome (``settle``):
``delivered`` (later attempts adopt the receipt) or ``unknown`` (sent but never answered; never
sent again) — or ``release``s it when the send certainly did not arrive: the next attempt may
send again, and the delivery log lists only what may have reached someone.
Only the holder named in ``claimed_by`` renews or settles a claim.

A step whose receiver deduplicates by the ``Idempotency-Key`` header (``http_request``'s
``receiver_dedupes``) claims with ``resend``: an ``unknown`` key, or a ``sent`` one whose lease
lapsed, is taken over and sent again under the same key (the receiver answers a repeat with
its first answer). ``sends`` counts the requests that may have reached the receiver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, delete, or_, update
from sqlmodel import Session, select

from storage.db import UNSYNCHRONIZED, param, write
from storage.models import Delivery
from storage.upsert import upsert

SENDING = "sending"
SENT = "sent"
DELIVERED = "delivered"
FAILED = "failed"
UNKNOWN = "unknown"
_HELD = (SENDING, SENT)
"""The statuses of a claim its holder still holds."""


@dataclass(frozen=True)
class Claim:
    """What ``claim`` found: ``held`` is True when the caller now holds the key; otherwise
    ``status`` is the key's state (``delivered`` with its ``receipt``, ``unknown``, or
    ``sending`` by another holder until ``claimed_until``)."""

    held: bool
    status: str
    receipt: dict[str, Any] | None = None
    claimed_until: datetime | None = None


def claim(
    session: Session,
    delivery: Delivery,
    holder: str,
    now: datetime,
    until: datetime,
    *,
    resend: bool = False,
) -> Claim:
    """Claim ``delivery.idempotency_key`` for ``holder`` until ``until`` (a lease; ``now`` is
    when a lapsed one counts as lapsed). With ``resend`` (the receiver deduplicates), a key that
    may have arrived unanswered (``unknown``, or ``sent`` by a holder that stopped renewing) is
    taken over too; a ``delivered`` one never is.

    The caller commits before sending: the claim is what the next attempt sees."""
    key = delivery.idempotency_key
    values = delivery.model_dump(exclude={"id"})
    values.update(
        status=SENDING, claimed_by=holder, claimed_until=until, receipt=None, created_at=now
    )
    if upsert(session, Delivery, values, ["idempotency_key"]):
        return Claim(True, SENDING)  # the first claim of the key: one statement
    free = [
        and_(Delivery.status == SENDING, Delivery.claimed_by == holder),  # type: ignore[arg-type]
        Delivery.status == FAILED,
        and_(Delivery.status == SENDING, Delivery.claimed_until < now),  # type: ignore[arg-type,operator]
    ]
    if resend:  # the receiver answers a repeated key with its first answer: safe to send again
        free += [
            Delivery.status == UNKNOWN,
            and_(Delivery.status == SENT, Delivery.claimed_until < now),  # type: ignore[arg-type,operator]
        ]
    taken = session.execute(
        update(Delivery)
        .execution_options(**UNSYNCHRONIZED)
        .where(Delivery.idempotency_key == key, or_(*free))  # type: ignore[arg-type]
        .values(status=SENDING, claimed_by=holder, claimed_until=until)
    )
    if taken.rowcount:  # type: ignore[attr-defined]
        return Claim(True, SENDING)
    # Its holder stopped renewing after its request began to leave: it may have arrived.
    session.execute(
        update(Delivery)
        .execution_options(**UNSYNCHRONIZED)
        .where(
            Delivery.idempotency_key == key,  # type: ignore[arg-type]
            Delivery.status == SENT,  # type: ignore[arg-type]
            Delivery.claimed_until < now,  # type: ignore[arg-type,operator]
        )
        .values(status=UNKNOWN, summary="lost mid-send", claimed_until=None)
    )
    row = session.exec(select(Delivery).where(Delivery.idempotency_key == key)).one()
    return Claim(False, row.status, dict(row.receipt or {}), row.claimed_until)


_KEY = param(Delivery.idempotency_key, "key")
_HOLDER = param(Delivery.claimed_by, "holder")
_UNTIL = param(Delivery.claimed_until, "until")

_HOLDERS_CLAIM = (
    update(Delivery)
    .execution_options(**UNSYNCHRONIZED)
    .where(
        Delivery.idempotency_key == _KEY,  # type: ignore[arg-type]
        Delivery.status.in_(_HELD),  # type: ignore[attr-defined]
        Delivery.claimed_by == _HOLDER,  # type: ignore[arg-type]
    )
)
"""An UPDATE of the key's claim while ``holder`` holds it (what it sets is added)."""

_RENEW = _HOLDERS_CLAIM.values(claimed_until=_UNTIL)

_MARK_SENT = (
    update(Delivery)
    .execution_options(**UNSYNCHRONIZED)
    .where(
        Delivery.idempotency_key == _KEY,  # type: ignore[arg-type]
        Delivery.status == SENDING,  # type: ignore[arg-type]
        Delivery.claimed_by == _HOLDER,  # type: ignore[arg-type]
    )
    .values(status=SENT, claimed_until=_UNTIL, sends=Delivery.sends + 1)
)

_SETTLE = _HOLDERS_CLAIM.values(
    status=param(Delivery.status, "outcome"),
    receipt=param(Delivery.receipt, "answer"),
    summary=param(Delivery.summary, "note"),
    claimed_until=None,
)


def renew(session: Session, key: str, holder: str, until: datetime) -> bool:
    """Extend ``holder``'s lease on ``key``; False when it holds the key no longer."""
    result = write(session, _RENEW, {"key": key, "holder": holder, "until": until})
    return bool(result.rowcount)


def mark_sent(session: Session, key: str, holder: str, until: datetime) -> bool:
    """``holder``'s request for ``key`` is about to leave (its lease extended to ``until``, one
    more of its ``sends``); False when it holds the key no longer (then it must not send)."""
    result = write(session, _MARK_SENT, {"key": key, "holder": holder, "until": until})
    return bool(result.rowcount)


def settle(
    session: Session,
    key: str,
    holder: str,
    status: str,
    receipt: dict[str, Any] | None = None,
    summary: str = "",
) -> bool:
    """Record the outcome of ``holder``'s send of ``key`` and release the claim; False when
    another holder had taken the key over (its outcome stands)."""
    values = {"outcome": status, "answer": receipt, "note": summary}
    result = write(session, _SETTLE, {"key": key, "holder": holder, **values})
    return bool(result.rowcount)


def release(session: Session, key: str, holder: str) -> bool:
    """Drop ``holder``'s claim on ``key``: its send did not arrive, the next attempt may send.
    A key sent before (taken over to be sent again) goes back to ``unknown``, as that earlier
    request may have arrived; one never sent leaves the delivery log."""
    held = (
        Delivery.idempotency_key == key,
        Delivery.claimed_by == holder,
    )
    # Marked sent, then called off (or refused): this send is not one that may have arrived.
    session.execute(
        update(Delivery)
        .execution_options(**UNSYNCHRONIZED)
        .where(*held, Delivery.status == SENT)  # type: ignore[arg-type]
        .values(status=SENDING, sends=Delivery.sends - 1)
    )
    dropped = session.execute(
        delete(Delivery)
        .where(*held, Delivery.status == SENDING, Delivery.sends == 0)  # type: ignore[arg-type]
        .execution_options(**UNSYNCHRONIZED)
    )
    restored = session.execute(
        update(Delivery)
        .execution_options(**UNSYNCHRONIZED)
        .where(*held, Delivery.status == SENDING)  # type: ignore[arg-type]
        .values(status=UNKNOWN, claimed_until=None)
    )
    return bool(dropped.rowcount or restored.rowcount)  # type: ignore[attr-defined]
