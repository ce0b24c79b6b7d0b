"""Relay maintaining itself: the activities its system schedules run (``worker.maintenance``).

Each is called by a run of the interpreter whose one step is an ``activity`` node, with the
run's scheduled time as ``at``: a retried attempt checks the same hour, and cleans up to the
same cut-off, as the first.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from storage.alerts import raise_alerts
from storage.db import session_scope
from storage.retention import BATCH_SIZE, apply_retention

log = logging.getLogger("relay.maintenance")

DEFAULT_RETENTION_DAYS = 90


@dataclass
class AlertCheckInput:
    at: str | None = None
    """The end of the hour checked (ISO 8601): the run's scheduled time; now when absent."""


@dataclass
class RetentionInput:
    at: str | None = None
    """The moment the retention age counts back from (ISO 8601); now when absent."""


class Maintenance:
    def __init__(
        self,
        engine: Engine,
        retention_days: int = DEFAULT_RETENTION_DAYS,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._engine = engine
        self._retention = timedelta(days=retention_days)
        self._batch_size = batch_size

    @activity.defn(name="relay.check_alerts")
    async def check_alerts(self, input: AlertCheckInput) -> dict[str, Any]:
        """Alert each tenant (notification to ``admins``, and a log line) about its workflows
        failing or slow in the hour before ``at``; returns the alerts sent."""
        return await asyncio.to_thread(self._check_alerts, _moment(input.at))

    def _check_alerts(self, at: datetime) -> dict[str, Any]:
        with session_scope(self._engine) as session:
            sent = raise_alerts(session, at)
        for alert in sent:
            # Ids and figures only: workflow names and run data are the tenant's own.
            log.warning(
                "alert %s: tenant %s workflow %s: %d of %d runs in the hour to %s",
                alert.kind, alert.tenant_id, alert.workflow_id, alert.count, alert.runs,
                at.isoformat(),
            )  # fmt: skip
        return {"at": at.isoformat(), "alerts": [asdict(alert) for alert in sent]}

    @activity.defn(name="relay.apply_retention")
    async def apply_retention(self, input: RetentionInput) -> dict[str, Any]:
        """Remove what is older than the retention age before ``at`` (``storage.retention``);
        returns the rows removed per table."""
        cutoff = _moment(input.at) - self._retention
        report = await asyncio.to_thread(apply_retention, self._engine, cutoff, self._batch_size)
        log.info(
            "retention to %s: %d rows removed in %d batches",
            cutoff.isoformat(), sum(report.deleted.values()), report.batches,
        )  # fmt: skip
        return {"cutoff": cutoff.isoformat(), "deleted": report.deleted, "batches": report.batches}


def _moment(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ApplicationError(
            f"'at' is not an ISO 8601 time: {value!r}", type="invalid_input", non_retryable=True
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
