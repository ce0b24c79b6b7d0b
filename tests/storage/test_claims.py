"""Claims on an effect's key: one holder at a time; a lapsed or failed claim is taken over; a
delivered or unknown key never is (an unknown one is when the receiver deduplicates); a late
activity report never overwrites a decided step."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import select

from storage.claims import (
    DELIVERED,
    SENDING,
    SENT,
    UNKNOWN,
    claim,
    mark_sent,
    release,
    renew,
    settle,
)
from storage.db import session_scope
from storage.models import Delivery
from storage.runs import record_step

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=5)


def _delivery() -> Delivery:
    key = f"run_{uuid.uuid4().hex[:8]}:call"
    return Delivery(
        tenant_id="t_test", idempotency_key=key, run_id=key.split(":")[0], step_key="call",
        channel="http", transport="http", status=SENDING,
    )  # fmt: skip


def _claim(
    engine: Engine, delivery: Delivery, holder: str, now: datetime = NOW, *, resend: bool = False
) -> tuple[bool, str]:
    with session_scope(engine) as session:
        found = claim(session, delivery, holder, now, now + LEASE, resend=resend)
        return found.held, found.status


def _row(engine: Engine, delivery: Delivery) -> tuple[str, int]:
    with session_scope(engine) as session:
        key = delivery.idempotency_key
        row = session.exec(select(Delivery).where(Delivery.idempotency_key == key)).one()
        return row.status, row.sends


def test_a_second_holder_waits_while_the_first_holds_the_key(engine: Engine) -> None:
    delivery = _delivery()
    assert _claim(engine, delivery, "a") == (True, SENDING)
    assert _claim(engine, delivery, "b") == (False, SENDING)


def test_a_claim_whose_holder_stopped_renewing_is_taken_over(engine: Engine) -> None:
    delivery = _delivery()
    assert _claim(engine, delivery, "crashed")[0]
    later = NOW + LEASE + timedelta(seconds=1)
    assert _claim(engine, delivery, "retry", later) == (True, SENDING)
    with session_scope(engine) as session:  # the crashed holder can neither renew nor settle
        assert not renew(session, delivery.idempotency_key, "crashed", later + LEASE)
        assert not settle(session, delivery.idempotency_key, "crashed", DELIVERED, {})


def test_a_lapsed_claim_whose_request_had_begun_to_leave_is_unknown_not_taken_over(
    engine: Engine,
) -> None:
    # Its holder died (or stalled past its lease) with the request on its way: it may have
    # arrived, so the retry must not send it again.
    delivery = _delivery()
    assert _claim(engine, delivery, "crashed")[0]
    with session_scope(engine) as session:
        assert mark_sent(session, delivery.idempotency_key, "crashed", NOW + LEASE)
    assert _claim(engine, delivery, "retry", NOW + LEASE / 2) == (False, SENT)
    assert _claim(engine, delivery, "retry", NOW + 2 * LEASE) == (False, UNKNOWN)
    with session_scope(engine) as session:
        key = delivery.idempotency_key
        row = session.exec(select(Delivery).where(Delivery.idempotency_key == key)).one()
        assert (row.status, row.summary) == (UNKNOWN, "lost mid-send")


def test_a_holder_whose_claim_was_taken_over_may_not_send(engine: Engine) -> None:
    delivery = _delivery()
    assert _claim(engine, delivery, "stalled")[0]
    assert _claim(engine, delivery, "retry", NOW + 2 * LEASE)[0]
    with session_scope(engine) as session:
        assert not mark_sent(session, delivery.idempotency_key, "stalled", NOW + 3 * LEASE)
        assert mark_sent(session, delivery.idempotency_key, "retry", NOW + 3 * LEASE)
        assert renew(session, delivery.idempotency_key, "retry", NOW + 4 * LEASE)
        assert settle(session, delivery.idempotency_key, "retry", DELIVERED, {"ok": True})


def test_a_renewed_claim_is_not_taken_over(engine: Engine) -> None:
    delivery = _delivery()
    assert _claim(engine, delivery, "a")[0]
    with session_scope(engine) as session:
        assert renew(session, delivery.idempotency_key, "a", NOW + 3 * LEASE)
    assert _claim(engine, delivery, "b", NOW + 2 * LEASE) == (False, SENDING)


def test_a_released_key_is_sent_again(engine: Engine) -> None:
    delivery = _delivery()
    assert _claim(engine, delivery, "a")[0]
    with session_scope(engine) as session:
        assert not release(session, delivery.idempotency_key, "b")
        assert release(session, delivery.idempotency_key, "a")
    assert _claim(engine, delivery, "b") == (True, SENDING)


def test_delivered_and_unknown_keys_are_never_sent_again(engine: Engine) -> None:
    for outcome, held in ((DELIVERED, False), (UNKNOWN, False)):
        delivery = _delivery()
        assert _claim(engine, delivery, "a")[0]
        with session_scope(engine) as session:
            assert settle(session, delivery.idempotency_key, "a", outcome, {"id": 1})
        assert _claim(engine, delivery, "b") == (held, SENDING if held else outcome)


def test_a_key_that_may_have_arrived_is_taken_over_when_the_receiver_deduplicates(
    engine: Engine,
) -> None:
    unknown, lost, delivered = _delivery(), _delivery(), _delivery()
    for delivery in (unknown, lost, delivered):
        assert _claim(engine, delivery, "first")[0]
        with session_scope(engine) as session:
            assert mark_sent(session, delivery.idempotency_key, "first", NOW + LEASE)
    with session_scope(engine) as session:
        assert settle(session, unknown.idempotency_key, "first", UNKNOWN, summary="timeout")
        assert settle(session, delivered.idempotency_key, "first", DELIVERED, {"id": 1})
    later = NOW + 2 * LEASE  # ``lost``'s holder died mid-send: its lease lapsed
    assert _claim(engine, unknown, "retry", later, resend=True) == (True, SENDING)
    assert _claim(engine, lost, "retry", later, resend=True) == (True, SENDING)
    assert _claim(engine, delivered, "retry", later, resend=True) == (False, DELIVERED)
    with session_scope(engine) as session:
        assert mark_sent(session, unknown.idempotency_key, "retry", later + LEASE)
        assert settle(session, unknown.idempotency_key, "retry", DELIVERED, {"id": 2})
    assert _row(engine, unknown) == (DELIVERED, 2)  # sent twice
    assert _row(engine, lost) == (SENDING, 1)


def test_a_resend_that_did_not_leave_puts_the_key_back_to_unknown(engine: Engine) -> None:
    # The earlier request may still have arrived: the key must not vanish from the log.
    delivery = _delivery()
    assert _claim(engine, delivery, "first")[0]
    with session_scope(engine) as session:
        assert mark_sent(session, delivery.idempotency_key, "first", NOW + LEASE)
        assert settle(session, delivery.idempotency_key, "first", UNKNOWN, summary="timeout")
    assert _claim(engine, delivery, "retry", resend=True)[0]
    with session_scope(engine) as session:  # marked sent, then refused (a 503)
        assert mark_sent(session, delivery.idempotency_key, "retry", NOW + LEASE)
        assert release(session, delivery.idempotency_key, "retry")
    assert _row(engine, delivery) == (UNKNOWN, 1)
    assert _claim(engine, delivery, "plain") == (False, UNKNOWN)


def test_a_released_key_never_sent_leaves_the_log(engine: Engine) -> None:
    delivery = _delivery()
    assert _claim(engine, delivery, "a")[0]
    with session_scope(engine) as session:  # marked sent, then called off before a byte left
        assert mark_sent(session, delivery.idempotency_key, "a", NOW + LEASE)
        assert release(session, delivery.idempotency_key, "a")
        key = delivery.idempotency_key
        assert session.exec(select(Delivery).where(Delivery.idempotency_key == key)).first() is None


def test_an_activity_report_never_overwrites_the_step_the_workflow_decided(
    engine: Engine,
) -> None:
    run_id = f"run_{uuid.uuid4().hex[:8]}"
    step = {"step_key": "call", "node_id": "call", "type": "http_request", "seq": 1}
    with session_scope(engine) as session:
        assert record_step(session, "t_test", run_id, {**step, "status": "failed"})
        late = {**step, "status": "completed"}
        assert not record_step(session, "t_test", run_id, late, decided=False)
        assert record_step(session, "t_test", run_id, {**step, "status": "cancelled"})
