"""Rate-limit windows claimed from many threads at once: never more runs than the limit."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine

from definitions.trigger_options import RateLimit
from storage.db import session_scope
from storage.rate_windows import admit, window_counts


def _admit_many(engine: Engine, limit: RateLimit, now: datetime, n: int) -> list[datetime | None]:
    workflow = f"wf_{uuid.uuid4().hex[:8]}"

    def one(_: int) -> datetime | None:
        with session_scope(engine) as session:
            return admit(session, "t_rate", workflow, limit, now)

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(one, range(n)))


def test_concurrent_claims_start_at_most_the_limit_and_count_the_rest(engine: Engine) -> None:
    now = datetime(2026, 1, 1, 10, 30, tzinfo=UTC)
    limit = RateLimit(5, timedelta(hours=1), "drop")
    claims = _admit_many(engine, limit, now, 20)
    assert claims.count(now) == 5
    assert claims.count(None) == 15


def test_deferred_claims_fill_the_following_windows_in_order(engine: Engine) -> None:
    now = datetime(2026, 1, 1, 10, 30, tzinfo=UTC)
    limit = RateLimit(2, timedelta(hours=1))
    claims = _admit_many(engine, limit, now, 7)
    hour = datetime(2026, 1, 1, 10, tzinfo=UTC)
    expected = [now] * 2 + [hour + timedelta(hours=k) for k in (1, 1, 2, 2, 3)]
    assert sorted(c for c in claims if c is not None) == expected


def test_the_window_is_aligned_to_the_period(engine: Engine) -> None:
    limit = RateLimit(1, timedelta(days=1), "drop")
    assert limit.window_start(datetime(2026, 3, 4, 23, 59, tzinfo=UTC)) == datetime(
        2026, 3, 4, tzinfo=UTC
    )
    with session_scope(engine) as session:
        assert window_counts(session, "t_rate", "wf_none", limit, datetime.now(UTC)) == (0, 0)
