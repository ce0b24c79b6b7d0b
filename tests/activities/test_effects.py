"""The lease of an effect's claim: a holder that may still be sending is never taken over."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from activities.effects import lease_until
from workflows.policies import CLAIM_LEASE

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
GRACE = timedelta(seconds=1)


def test_a_claim_lasts_until_its_holders_attempt_is_over_for_temporal() -> None:
    # Renewed early in a 45 s attempt: the holder may send for 40 s more, renewed or not.
    attempt_over = NOW + timedelta(seconds=49)
    assert lease_until(NOW, attempt_over) == attempt_over + GRACE


def test_a_claim_renewed_after_its_attempt_is_over_lasts_a_lease_more() -> None:
    # A holder still sending past its attempt (a starved worker) keeps its claim while it renews.
    attempt_over = NOW - timedelta(seconds=3)
    assert lease_until(NOW, attempt_over) == NOW + CLAIM_LEASE + GRACE
