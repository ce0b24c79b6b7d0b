"""Failed authentications counted per client address, so keys cannot be guessed at speed."""

from __future__ import annotations

import time
from collections import deque

FAILURE_WINDOW_SECONDS = 60.0


class FailedAuthentications:
    """Failed authentications per client address in a sliding window; past ``limit`` the
    address gets 429 until its oldest failure ages out. Per API process: a guessing client
    spread over N replicas gets N times the budget, still far too little to guess a key."""

    def __init__(
        self, limit: int = 20, window: float = FAILURE_WINDOW_SECONDS, max_addresses: int = 10_000
    ) -> None:
        self.limit, self.window, self.max_addresses = limit, window, max_addresses
        self._failures: dict[str, deque[float]] = {}

    def retry_after(self, address: str) -> int | None:
        """Seconds until ``address`` may try again, or None if it may now."""
        failures = self._failures.get(address)
        if not failures:
            return None
        now = time.monotonic()
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if len(failures) < self.limit:
            if not failures:
                del self._failures[address]
            return None
        return max(1, int(failures[0] + self.window - now) + 1)

    def failed(self, address: str) -> None:
        if len(self._failures) >= self.max_addresses:
            self._forget_quiet()
        self._failures.setdefault(address, deque()).append(time.monotonic())

    def _forget_quiet(self) -> None:
        """Drop addresses whose failures have all aged out (bounds memory under a spray of
        addresses); if every one is still in its window, the oldest half goes."""
        horizon = time.monotonic() - self.window
        for address in [a for a, f in self._failures.items() if not f or f[-1] <= horizon]:
            del self._failures[address]
        if len(self._failures) >= self.max_addresses:
            by_age = sorted(self._failures, key=lambda a: self._failures[a][-1])
            for address in by_age[: len(by_age) // 2]:
                del self._failures[address]
