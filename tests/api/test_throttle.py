"""The failed-authentication limiter: a window per address, bounded memory."""

from __future__ import annotations

from api.throttle import FailedAuthentications


def test_an_address_is_held_back_only_past_its_limit() -> None:
    limiter = FailedAuthentications(limit=3, window=60)
    for _ in range(2):
        limiter.failed("203.0.113.1")
    assert limiter.retry_after("203.0.113.1") is None
    limiter.failed("203.0.113.1")
    assert 1 <= (limiter.retry_after("203.0.113.1") or 0) <= 61
    assert limiter.retry_after("203.0.113.2") is None


def test_failures_age_out() -> None:
    limiter = FailedAuthentications(limit=1, window=0)
    limiter.failed("203.0.113.1")
    assert limiter.retry_after("203.0.113.1") is None


def test_a_spray_of_addresses_does_not_grow_memory_without_bound() -> None:
    limiter = FailedAuthentications(limit=5, window=60, max_addresses=100)
    for n in range(1000):
        limiter.failed(f"10.0.{n // 256}.{n % 256}")
    assert len(limiter._failures) <= 100
