"""One effect, sent at most once per idempotency key, within its step's timeout.

Every delivering action (email, SMS, HTTP, Slack, an export's email) goes through
``deliver_once``:

1. **Claim** the key in the database (``storage.claims``) before anything is sent, in the same
   transaction as the step's ``running`` record. A key already ``delivered`` is adopted (its
   receipt is the step's output); one being sent by another attempt is waited for; one sent and
   never answered (``unknown``) is not sent again (but see ``resend`` in 4).
2. **Send within the attempt's budget**: the attempt's start-to-close timeout (the step's
   ``timeout``) less what recording needs (``workflows.policies.effect_budget``) bounds the real
   call — the transport's own timeout is shortened to it and a deadline backs that up — so an
   attempt never outlives Temporal's patience and never races its own retry.
3. **Heartbeat and renew** the claim while sending (heartbeats never wait behind a renewal;
   renewals come ``CLAIM_RENEW_AFTER`` after the lease was last extended):
   a worker killed mid-send is noticed within ``EFFECT_HEARTBEAT_TIMEOUT``, its claim lapses
   (``CLAIM_LEASE``) and the retry may send — a few seconds, not the attempt's whole timeout —
   unless its request had begun to leave (``activities.departure``): then the key is
   ``unknown``.
4. **Settle**: ``delivered`` with the step's completion (one transaction); released when the
   send certainly did not arrive (refused, unreachable, answered 5xx, or the attempt cancelled
   or out of time before its request began to leave: the retry sends); ``unknown`` when it may
   have arrived unanswered (a read timeout, or the attempt cancelled or timed out after its
   request began to leave): the step fails with a non-retryable error rather than sending
   twice — unless the step says its receiver deduplicates (``resend``: ``http_request``'s
   ``receiver_dedupes``): then the error is an ordinary retryable one, and the retry takes the
   ``unknown`` key over (or a ``sent`` one whose holder died) and sends it again under the same
   key, which the receiver answers with its first answer. A ``delivered`` key is still adopted.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Coroutine
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ParamSpec, TypeVar

from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.bookkeeping import complete_action, start_action
from activities.departure import Departure, departing
from activities.errors import DeliveryError, PermanentDeliveryError
from storage.claims import DELIVERED, UNKNOWN, Claim, claim, mark_sent, release, renew, settle
from storage.db import session_scope
from storage.models import Delivery
from workflows.contract import ActionInput, permanent
from workflows.policies import (
    CLAIM_LEASE,
    CLAIM_POLL,
    CLAIM_RENEW_AFTER,
    DEFAULT_ACTION_TIMEOUT,
    HEARTBEAT_EVERY,
    effect_budget,
)

MASK = "***"

_T = TypeVar("_T")
_P = ParamSpec("_P")

Send = Callable[[float], Awaitable[dict[str, Any]]]
"""Sends the effect with at most this many seconds for the call; returns its receipt."""


async def deliver_once(
    engine: Engine,
    delivery: Delivery,
    send: Send,
    secrets: Collection[str] = (),
    step: ActionInput | None = None,
    *,
    resend: bool = False,
) -> dict[str, Any]:
    """Send under ``delivery.idempotency_key`` at most once and log it; the receipt (secrets
    masked). With ``step``, the action's step is recorded running with the claim and completed
    with the delivery; without, the caller records its step. With ``resend`` (the receiver
    deduplicates by the key), a send that may have arrived unanswered is sent again by the
    retry instead.

    Raises ``ApplicationError``: of the delivery error's kind (non-retryable when permanent or,
    without ``resend``, when the send may have arrived), or ``outcome_unknown`` when an earlier
    attempt sent the key and got no answer.
    """
    info = activity.info()
    loop = asyncio.get_running_loop()
    deadline = loop.time() + effect_budget(info.start_to_close_timeout or DEFAULT_ACTION_TIMEOUT)
    holder = f"{info.attempt}:{uuid.uuid4().hex[:16]}"
    key = delivery.idempotency_key
    async with _heartbeats(engine, key, holder) as lease:
        lease.extended_at = loop.time()  # at most: the claim's lease counts from later
        found = await _claim_or_release(engine, delivery, holder, step, resend)
        while not found.held:
            if found.status == DELIVERED:
                activity.logger.info("%s already delivered; not sending again", key)
                receipt = found.receipt or {}
                if step is not None:
                    await asyncio.to_thread(_complete, engine, step, receipt)
                return receipt
            if found.status == UNKNOWN:
                raise permanent(
                    "an earlier attempt sent this and got no answer; not sent again, "
                    "as the receiver may have acted on it",
                    "outcome_unknown",
                )
            if loop.time() + CLAIM_POLL >= deadline:  # the holder is still sending
                raise ApplicationError("another attempt is sending this step", type="claim_held")
            await asyncio.sleep(CLAIM_POLL)
            lease.extended_at = loop.time()
            found = await _claim_or_release(engine, delivery, holder, None, resend)
        if deadline - loop.time() < _LEAST_TO_SEND:  # waited out the budget: nothing was sent
            await asyncio.to_thread(_settle, engine, key, holder, None, "")
            raise ApplicationError("no time left in this attempt to send", type="attempt_late")
        lease.holding = True
        receipt = await _send(engine, key, holder, lease, send, deadline, secrets, resend)
        delivery.receipt = receipt
        # Still heartbeating and renewing: a database slow to record the delivery must not
        # let Temporal time the attempt out, nor the claim lapse into unknown meanwhile.
        await asyncio.to_thread(_delivered, engine, delivery, holder, step)
        lease.holding = False
    return receipt


async def _send(
    engine: Engine,
    key: str,
    holder: str,
    lease: _Lease,
    send: Send,
    deadline: float,
    secrets: Collection[str],
    resend: bool,
) -> dict[str, Any]:
    """``send()`` within ``deadline``; a failure settles the claim and becomes the
    ``ApplicationError`` the retry policy reads, quoting no secret. A send that may have
    arrived fails for good unless ``resend`` (the retry sends it again)."""
    loop = asyncio.get_running_loop()
    record = functools.partial(_mark_sent, engine, key, holder, lease)
    # loop.time() is time.monotonic(), which the departure (also in threads) reads.
    departure = Departure(record, deadline, _LEAST_TO_SEND)
    try:
        with departing(departure):
            async with asyncio.timeout_at(deadline):
                receipt: dict[str, Any] = await send(max(deadline - loop.time(), 0.05))
        return mask_secrets(receipt, secrets)
    except TimeoutError:  # the transport overran its own timeout
        if departure.call_off():  # still connecting: nothing was sent, the retry sends
            await asyncio.to_thread(_settle, engine, key, holder, None, "timeout")
            raise ApplicationError("not sent within the step's timeout", type="timeout") from None
        await asyncio.to_thread(_settle, engine, key, holder, UNKNOWN, "timeout")
        if resend:
            raise ApplicationError(
                "no answer within the step's timeout; the retry sends it again under the same "
                "key, which the receiver deduplicates",
                type="timeout",
            ) from None
        raise permanent(
            "no answer within the step's timeout; not sent again, as the receiver may have "
            "acted on it",
            "timeout",
        ) from None
    except DeliveryError as exc:
        # A transport may only think the request could have arrived (a connection dropped
        # while it was being set up): whether it had begun to leave decides.
        maybe = bool(getattr(exc, "maybe_delivered", False)) and not departure.call_off()
        await asyncio.to_thread(_settle, engine, key, holder, UNKNOWN if maybe else None, exc.kind)
        message = mask_secrets(exc.detail or exc.kind, secrets)
        if maybe and not resend:
            message += "; not sent again, as the receiver may have acted on it"
        failure = ApplicationError(
            message,
            type=exc.kind,
            non_retryable=(maybe and not resend) or isinstance(exc, PermanentDeliveryError),
        )
        # Temporal records the causes' messages in the history too, and a library's
        # message may quote a secret in a form masking cannot recognise (repr, bytes).
        raise failure from (None if secrets else exc)
    except asyncio.CancelledError:
        # Temporal cancelled or timed the attempt out (its retry may already be waiting for
        # this key). Called off before its request began to leave, nothing was sent: the claim
        # is released and the retry sends. After, the request may have arrived: never again.
        status = None if departure.call_off() else UNKNOWN
        await _unless_cancelled(
            asyncio.to_thread(_settle, engine, key, holder, status, "cancelled")
        )
        raise
    except Exception as exc:
        # Not a transport's error: it may have failed anywhere, even after its request left.
        status = None if departure.call_off() else UNKNOWN
        await asyncio.to_thread(_settle, engine, key, holder, status, type(exc).__name__)
        if not secrets:
            raise
        raise ApplicationError(mask_secrets(str(exc), secrets), type=type(exc).__name__) from None


async def _claim_or_release(
    engine: Engine,
    delivery: Delivery,
    holder: str,
    step: ActionInput | None,
    resend: bool,
) -> Claim:
    """``_claim`` in a thread; when the attempt is cancelled meanwhile, a claim the thread
    took anyway is released (nothing was sent) instead of blocking the retry until it lapses."""
    claiming = asyncio.ensure_future(
        asyncio.to_thread(_claim, engine, delivery, holder, step, resend)
    )
    try:
        return await asyncio.shield(claiming)
    except asyncio.CancelledError:
        found = await _unless_cancelled(claiming)
        if found is not None and found.held:
            await _unless_cancelled(
                asyncio.to_thread(_settle, engine, delivery.idempotency_key, holder, None, "")
            )
        raise


async def _unless_cancelled(work: Awaitable[_T]) -> _T | None:
    """Finish ``work`` (the database write that settles a cancelled attempt's claim) even if
    the attempt is cancelled again meanwhile; None when it was."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task)
    except asyncio.CancelledError:
        return None


@dataclass
class _Lease:
    holding: bool = False
    extended_at: float = 0.0
    """When (``time.monotonic()``) the claim's lease was last extended from."""


_beating: ContextVar[bool] = ContextVar("relay_effect_heartbeats", default=False)


@contextlib.asynccontextmanager
async def heartbeating() -> AsyncIterator[None]:
    """Heartbeat every ``HEARTBEAT_EVERY`` s while the body runs (once, however nested): they
    stop when the worker dies, which is how a crash is noticed."""
    if _beating.get():
        yield
        return

    async def beat() -> None:
        # In a task of its own, never behind a renewal or a read: a database (or thread pool)
        # slow under load must not stop the heartbeats, or Temporal times a live attempt out.
        # A local activity has none (its workflow task's timeout notices a dead worker).
        while not activity.info().is_local:
            activity.heartbeat()
            await asyncio.sleep(HEARTBEAT_EVERY)

    token = _beating.set(True)
    task = asyncio.create_task(beat())
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        _beating.reset(token)


def heartbeats_throughout(
    action: Callable[_P, Coroutine[Any, Any, _T]],
) -> Callable[_P, Coroutine[Any, Any, _T]]:
    """An effect's activity heartbeating from its first line (``heartbeating``), not only
    once it sends: reading its secrets or template from a busy database may take longer
    than the heartbeat timeout, and Temporal would time the attempt out as dead."""

    @functools.wraps(action)
    async def attempt(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        async with heartbeating():
            return await action(*args, **kwargs)

    return attempt


@contextlib.asynccontextmanager
async def _heartbeats(engine: Engine, key: str, holder: str) -> AsyncIterator[_Lease]:
    """``heartbeating`` while the body runs, and renew the claim while ``holding``: both stop
    when the worker dies, which is how a crash is noticed."""
    lease = _Lease()

    async def renew() -> None:
        loop = asyncio.get_running_loop()
        while True:
            if lease.holding and loop.time() - lease.extended_at >= CLAIM_RENEW_AFTER:
                lease.extended_at = loop.time()
                until = datetime.now(UTC) + CLAIM_LEASE + _GRACE
                renewed = await asyncio.to_thread(_renew, engine, key, holder, until)
                if not renewed and lease.holding:  # not merely settled meanwhile
                    activity.logger.warning("%s: the claim was taken over", key)
            await asyncio.sleep(HEARTBEAT_EVERY)

    async with heartbeating():
        renewing = asyncio.create_task(renew())
        try:
            yield lease
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing


# --- the database side (blocking: run in a thread) ---------------------------------------------


def _claim(
    engine: Engine, delivery: Delivery, holder: str, step: ActionInput | None, resend: bool
) -> Claim:
    now = datetime.now(UTC)
    with session_scope(engine) as session:
        if step is not None:
            start_action(session, step)
        return claim(session, delivery, holder, now, now + CLAIM_LEASE + _GRACE, resend=resend)


def _renew(engine: Engine, key: str, holder: str, until: datetime) -> bool:
    with session_scope(engine) as session:
        return renew(session, key, holder, until)


def _mark_sent(engine: Engine, key: str, holder: str, lease: _Lease) -> bool:
    """The claim ``sent``, its lease extended (standing for a renewal)."""
    lease.extended_at = time.monotonic()
    with session_scope(engine) as session:
        return mark_sent(session, key, holder, datetime.now(UTC) + CLAIM_LEASE + _GRACE)


def _settle(engine: Engine, key: str, holder: str, status: str | None, summary: str) -> None:
    """The send's outcome, or (None) the claim released: nothing arrived."""
    with session_scope(engine) as session:
        if status is None:
            release(session, key, holder)
        else:
            settle(session, key, holder, status, summary=summary)


def _delivered(engine: Engine, delivery: Delivery, holder: str, step: ActionInput | None) -> None:
    """One transaction: the delivery logged, the step completed."""
    with session_scope(engine) as session:
        if not settle(session, delivery.idempotency_key, holder, DELIVERED, delivery.receipt):
            activity.logger.warning(
                "%s: delivered after its claim lapsed", delivery.idempotency_key
            )
        if step is not None:
            complete_action(session, step, delivery.receipt)


def _complete(engine: Engine, step: ActionInput, receipt: dict[str, Any]) -> None:
    with session_scope(engine) as session:
        complete_action(session, step, receipt)


_LEAST_TO_SEND = 0.1
"""Seconds an attempt needs left to begin a send: with less, it would time out mid-send and
leave the key ``unknown`` without having sent it."""

_GRACE = timedelta(seconds=1)
"""Beyond the lease: clocks of two workers may differ a little."""


def mask_secrets(value: Any, secrets: Collection[str]) -> Any:
    """``value`` with every occurrence of a secret value replaced by ``***`` (recursively in
    lists and dicts, keys included), so an echoing receiver cannot put one in a step output."""
    if not secrets:
        return value
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {mask_secrets(k, secrets): mask_secrets(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [mask_secrets(item, secrets) for item in value]
    return value
