"""Incoming events as stored, and what each did to the workflows listening to its type."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from storage.db import UNSYNCHRONIZED
from storage.models import Event, EventOutcome
from storage.upsert import upsert

OUTCOMES = (
    "started", "deferred", "pending", "failed", "duplicate", "filtered_out", "deduped",
    "reenroll_refused", "rate_limited", "chain_depth_exceeded", "cancelled",
)  # fmt: skip
"""``started`` a run; ``deferred``: started a run that begins at a later window of the
workflow's rate limit (SPEC §2.5); ``pending``: stored a run Temporal could not take at once,
which a worker's recoverer starts (the outcome becomes ``started`` or ``deferred``) or, past its
start deadline, fails (``failed``, with the reason); ``duplicate``: this event (its dedupe
key) started it before; ``filtered_out``: the trigger's filter was false; ``deduped``: another
event with the same dedupe key started the run; ``reenroll_refused``: the entity ran already
(``once``/``after``); ``rate_limited``: the rate limit dropped it (``over: drop``);
``chain_depth_exceeded``: a run emitted the event too deep in a chain of runs starting each
other (``definitions.chain``); ``cancelled``: it cancelled the workflow's open runs for the
entity (``cancel_on``)."""
KEPT = ("started", "deferred")
"""Outcomes a redelivery of the event does not replace: the run it started stays its outcome."""


def get_event(session: Session, tenant_id: str, event_id: str) -> Event | None:
    return session.exec(
        select(Event).where(Event.tenant_id == tenant_id, Event.event_id == event_id)
    ).first()


def record_outcomes(
    session: Session, tenant_id: str, event_id: str, outcomes: list[dict[str, Any]]
) -> None:
    """One row per workflow (``workflow_id``, ``outcome``, ``run_id``, ``detail``). A
    redelivered event's outcomes replace the earlier ones, except ``KEPT``."""
    for outcome in outcomes:
        values = {"tenant_id": tenant_id, "event_id": event_id, "detail": "", **outcome}
        upsert(
            session,
            EventOutcome,
            values,
            ["tenant_id", "event_id", "workflow_id"],
            update=["outcome", "run_id", "detail"],
            where=_replaceable,
        )


def resolve_pending(
    session: Session, tenant_id: str, event_id: str, run_id: str, outcome: str, detail: str
) -> None:
    """The event's ``pending`` outcome for run ``run_id`` becomes ``outcome``: the recoverer
    started the run (or gave up)."""
    session.execute(
        update(EventOutcome)
        .where(
            col(EventOutcome.tenant_id) == tenant_id,
            col(EventOutcome.event_id) == event_id,
            col(EventOutcome.run_id) == run_id,
            col(EventOutcome.outcome) == "pending",
        )
        .values(outcome=outcome, detail=detail)
        .execution_options(**UNSYNCHRONIZED)
    )


def _replaceable(table: Any, _new: Any) -> Any:
    return table.c.outcome.not_in(KEPT)


def outcomes_of(session: Session, tenant_id: str, event_id: str) -> list[EventOutcome]:
    return list(
        session.exec(
            select(EventOutcome)
            .where(EventOutcome.tenant_id == tenant_id, EventOutcome.event_id == event_id)
            .order_by(col(EventOutcome.id))
        )
    )
