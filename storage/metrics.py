"""Fleet-wide counts for ``GET /metrics``: one GROUP BY per table, never a row scan in Python."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from storage.alerts import SYSTEM_TENANT
from storage.models import Delivery, Event, Run, Workflow


def counts_by(
    session: Session, column: Any, *labels: Any, where: Any = True
) -> list[tuple[tuple[str, ...], int]]:
    """``(label values, row count)`` for each group of ``column``'s table by ``labels``."""
    query = select(*labels, func.count(column)).where(where).group_by(*labels)  # type: ignore[call-overload]
    rows = session.exec(query)
    return [(tuple(str(value) for value in row[:-1]), int(row[-1])) for row in rows]


def fleet_counts(session: Session) -> dict[str, list[tuple[tuple[str, ...], int]]]:
    return {
        # Relay's own maintenance runs are not the users' runs.
        "runs": counts_by(session, Run.id, Run.status, where=col(Run.tenant_id) != SYSTEM_TENANT),
        "workflows": counts_by(session, Workflow.id, Workflow.status),
        "deliveries": counts_by(session, Delivery.id, Delivery.channel, Delivery.status),
        "events": [((), int(session.exec(select(func.count(Event.id))).one()))],  # type: ignore[arg-type]
    }
