"""When an effect's request starts to leave: the line between "not sent" and "may have arrived".

An attempt cancelled, timed out or lost mid-send must decide what happened to its effect: if
its request had not begun to leave, nothing arrived and its retry must send it (marking it
``unknown`` would lose it); once the request has begun to leave, the receiver may act on it and
it is never sent again. ``activities.effects.deliver_once`` opens one ``Departure`` per attempt
(``departing``); every transport reports, just before the first byte the receiver could act on,
by calling ``leaving()`` (``aleaving()`` on the event loop) from the code that sends it:

- HTTP (``http_request``, Slack): the session's connector, once the request has its connection
  and before its headers are written (``activities.http``);
- SMTP: before the ``DATA`` command (until the message ends, the server discards it);
- Twilio's SDK: its HTTP connections, before their first byte (``activities.sms``).

Leaving is recorded in the database first (the key's claim becomes ``sent``): a worker killed
after that leaves a claim its retry will not take over (the request may be in; unless the
step's receiver deduplicates, ``storage.claims``), one killed before leaves a claim the retry
takes over and sends. A send the attempt has called off (it
was cancelled, or too little time is left) raises ``NotSent`` instead of leaving — from a
transport's thread too, which asyncio cannot stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from activities.errors import TransientDeliveryError

_PENDING, _LEAVING, _LEFT, _CALLED_OFF = "pending", "leaving", "left", "called off"


class NotSent(TransientDeliveryError):
    """The attempt called its send off before anything left: the retry may send."""


class Departure:
    """One attempt's send: whether it has left, decided once and safely across threads.

    ``record`` (blocking) writes that the request is leaving and answers False when the
    attempt no longer holds the key's claim; ``deadline`` (``time.monotonic``) is when the
    attempt's budget ends: a request does not start to leave with less than ``least`` seconds
    of it left, as it would be cut off in flight and its outcome unknown."""

    def __init__(self, record: Callable[[], bool], deadline: float, least: float) -> None:
        self._record = record
        self._deadline = deadline
        self._least = least
        self._lock = threading.Lock()
        self._state = _PENDING

    @property
    def left(self) -> bool:
        return self._state == _LEFT

    def leave(self) -> None:
        """Record that the request leaves now (blocking; from a transport's thread)."""
        if self._begin():
            self._end(self._record())

    async def aleave(self) -> None:
        """``leave`` from the event loop; cancelled while recording, the request stays unsent."""
        if self._begin():
            self._end(await asyncio.to_thread(self._record))

    def call_off(self) -> bool:
        """Stop the send from leaving if it has not yet; True when nothing left (and nothing
        will), False when the request had begun to leave."""
        with self._lock:
            if self._state == _LEFT:
                return False
            self._state = _CALLED_OFF
            return True

    def _begin(self) -> bool:
        with self._lock:
            if self._state == _LEFT:
                return False  # a later hop of the same send (a redirect): already on record
            if self._state == _CALLED_OFF:
                raise NotSent("cancelled", "the attempt was cancelled before sending")
            if time.monotonic() + self._least > self._deadline:
                self._state = _CALLED_OFF
                raise NotSent("attempt_late", "no time left in this attempt to send")
            self._state = _LEAVING
            return True

    def _end(self, recorded: bool) -> None:
        with self._lock:
            if self._state == _CALLED_OFF:
                raise NotSent("cancelled", "the attempt was cancelled before sending")
            if not recorded:
                self._state = _CALLED_OFF
                raise NotSent("claim_lost", "another attempt took this step's claim over")
            self._state = _LEFT


_current: ContextVar[Departure | None] = ContextVar("relay_departure", default=None)


@contextlib.contextmanager
def departing(departure: Departure) -> Iterator[Departure]:
    """Make ``departure`` the one ``leaving`` reports to, in this task and the threads it
    starts with ``asyncio.to_thread`` (which copies the context)."""
    token = _current.set(departure)
    try:
        yield departure
    finally:
        _current.reset(token)


def leaving() -> None:
    """A transport's request is about to leave (blocking: call it from the sending thread).
    Raises ``NotSent`` when the attempt called the send off. Outside an effect, nothing."""
    departure = _current.get()
    if departure is not None:
        departure.leave()


async def aleaving() -> None:
    """``leaving`` for a transport sending from the event loop."""
    departure = _current.get()
    if departure is not None:
        await departure.aleave()
