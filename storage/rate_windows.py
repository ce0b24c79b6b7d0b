"""Counting the runs a rate-limited workflow starts, one counter row per fixed window.

A slot is claimed by one conditional ``UPDATE … SET started = started + 1 WHERE started < max``
(or by inserting the window's row with ``started = 1``): the database serialises concurrent
claims on the row, on SQLite and PostgreSQL alike, so concurrent deliveries never start more
runs in a window than its limit. Claims are made in the transaction that writes the run's row.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from definitions.trigger_options import RateLimit
from storage.models import RateWindow

MAX_WINDOWS_AHEAD = 1000
"""How far ``defer`` looks for a window with room before it gives up and drops the event."""


@dataclass(frozen=True)
class Window:
    tenant_id: str
    workflow_id: str
    limit: RateLimit
    start: datetime

    @property
    def key(self) -> dict[str, Any]:
        return {
            "tenant_id": self.tenant_id,
            "workflow_id": self.workflow_id,
            "period_seconds": int(self.limit.per.total_seconds()),
            "window_start": self.start,
        }


def admit(
    session: Session, tenant_id: str, workflow_id: str, limit: RateLimit, now: datetime
) -> datetime | None:
    """Claim a slot for one run: in the current window (returns ``now``), else — ``defer`` —
    in the first later window with room (returns its start). None when the run must not start
    (``drop``, or no room within ``MAX_WINDOWS_AHEAD`` windows); the refusal is counted."""
    current = Window(tenant_id, workflow_id, limit, limit.window_start(now))
    if _claim(session, current):
        return now
    if limit.over == "defer":
        full = _full_windows(session, current)
        for ahead in range(1, MAX_WINDOWS_AHEAD + 1):
            start = current.start + limit.per * ahead
            if start not in full and _claim(session, replace(current, start=start)):
                return start
    session.execute(
        update(RateWindow).where(*_matches(current)).values(dropped=col(RateWindow.dropped) + 1)
    )
    return None


def window_counts(
    session: Session, tenant_id: str, workflow_id: str, limit: RateLimit, at: datetime
) -> tuple[int, int]:
    """(runs started, events dropped) in the window ``at`` falls in."""
    window = Window(tenant_id, workflow_id, limit, limit.window_start(at))
    row = session.exec(select(RateWindow).where(*_matches(window))).first()
    return (row.started, row.dropped) if row is not None else (0, 0)


def _claim(session: Session, window: Window) -> bool:
    if _increment(session, window):
        return True
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    inserted = session.execute(
        insert(RateWindow.__table__)  # type: ignore[attr-defined]
        .values(**window.key, started=1, dropped=0)
        .on_conflict_do_nothing()
        .returning(col(RateWindow.id))
    ).first()
    if inserted is not None:  # (rowcount is not reliable for an INSERT on every driver)
        return True
    # Another request created the row between the two statements: it is there to update now.
    return _increment(session, window)


def _increment(session: Session, window: Window) -> bool:
    result = session.execute(
        update(RateWindow)
        .where(*_matches(window), col(RateWindow.started) < window.limit.max)
        .values(started=col(RateWindow.started) + 1)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _full_windows(session: Session, current: Window) -> set[datetime]:
    """The windows after ``current`` that have no room left (read once, to skip them)."""
    rows = session.exec(
        select(RateWindow.window_start).where(
            RateWindow.tenant_id == current.tenant_id,
            RateWindow.workflow_id == current.workflow_id,
            RateWindow.period_seconds == int(current.limit.per.total_seconds()),
            col(RateWindow.window_start) > current.start,
            col(RateWindow.started) >= current.limit.max,
        )
    )
    return set(rows)


def _matches(window: Window) -> list[Any]:
    key = window.key
    return [
        RateWindow.tenant_id == key["tenant_id"],
        RateWindow.workflow_id == key["workflow_id"],
        RateWindow.period_seconds == key["period_seconds"],
        RateWindow.window_start == key["window_start"],
    ]
