"""The catalog a tenant sees, event outcomes, and webhook tokens, as stored."""

from __future__ import annotations

import uuid

from sqlalchemy.engine import Engine

from definitions.catalog import parse_event_type
from storage.db import session_scope
from storage.event_types import (
    delete_event_type,
    get_event_type,
    list_event_types,
    put_event_type,
)
from storage.events import outcomes_of, record_outcomes
from storage.hooks import hooked_workflow, issue_hook
from storage.models import WorkflowHook
from storage.secrets import SecretBox
from storage.tenants import create_tenant
from storage.workflows import create_workflow


def _tenant(engine: Engine) -> str:
    with session_scope(engine) as session:
        tenant, _ = create_tenant(session, "Acme", tenant_id=f"t_{uuid.uuid4().hex[:12]}")
    return tenant.id


ORDER = parse_event_type({"type": "order.placed", "schema": {"type": "object"}})


def test_a_tenants_entry_is_its_own_and_replaces_a_built_in_one(engine: Engine) -> None:
    acme, globex = _tenant(engine), _tenant(engine)
    own_booking = parse_event_type({"type": "booking.created", "description": "ours"})
    with session_scope(engine) as session:
        assert put_event_type(session, acme, ORDER) is True
        assert put_event_type(session, acme, own_booking) is True
        assert put_event_type(session, acme, own_booking) is False  # replaced, not created
    with session_scope(engine) as session:
        assert get_event_type(session, acme, "order.placed") == ORDER
        assert get_event_type(session, globex, "order.placed") is None
        mine = get_event_type(session, acme, "booking.created")
        theirs = get_event_type(session, globex, "booking.created")
        assert mine is not None and (mine.description, mine.builtin) == ("ours", False)
        assert theirs is not None and theirs.builtin
        listed = [s.type for s in list_event_types(session, acme)]
        assert listed == sorted(listed) and listed.count("booking.created") == 1
        assert "order.placed" in listed
        assert "order.placed" not in [s.type for s in list_event_types(session, globex)]


def test_deleting_an_override_brings_the_built_in_entry_back(engine: Engine) -> None:
    acme = _tenant(engine)
    with session_scope(engine) as session:
        put_event_type(session, acme, parse_event_type({"type": "deal.won"}))
    with session_scope(engine) as session:
        assert delete_event_type(session, acme, "deal.won") is True
        assert delete_event_type(session, acme, "deal.won") is False
        spec = get_event_type(session, acme, "deal.won")
        assert spec is not None and spec.builtin


def test_a_redelivered_event_keeps_the_run_it_started(engine: Engine) -> None:
    acme = _tenant(engine)
    with session_scope(engine) as session:
        record_outcomes(
            session, acme, "evt_1", [{"workflow_id": "wf_a", "outcome": "started", "run_id": "r"}]
        )
        record_outcomes(session, acme, "evt_1", [{"workflow_id": "wf_b", "outcome": "deduped"}])
    with session_scope(engine) as session:
        record_outcomes(
            session,
            acme,
            "evt_1",
            [
                {"workflow_id": "wf_a", "outcome": "duplicate", "run_id": "r"},
                {"workflow_id": "wf_b", "outcome": "filtered_out"},
            ],
        )
    with session_scope(engine) as session:
        found = [(o.workflow_id, o.outcome) for o in outcomes_of(session, acme, "evt_1")]
    assert found == [("wf_a", "started"), ("wf_b", "filtered_out")]


def test_a_webhook_token_is_stored_hashed_and_rotates(engine: Engine) -> None:
    acme = _tenant(engine)
    box = SecretBox(SecretBox.generate_key())
    with session_scope(engine) as session:
        workflow = create_workflow(session, acme, {"name": "w"}, {"name": "w"})
        first, no_secret = issue_hook(session, acme, workflow.id, None)
        second, secret = issue_hook(session, acme, workflow.id, box)
    with session_scope(engine) as session:
        hook = session.get(WorkflowHook, workflow.id)
        assert hook is not None and second not in hook.token_hash
        assert no_secret is None and secret is not None
        assert hook.secret_ciphertext is not None and secret not in hook.secret_ciphertext
        assert box.decrypt(hook.secret_ciphertext) == secret
        found = hooked_workflow(session, workflow.id, second)
        assert found is not None
        assert (found[0].workflow_id, found[1].id) == (workflow.id, workflow.id)
        assert found[2] is not None and found[2].version == workflow.latest_version
        assert hooked_workflow(session, workflow.id, first) is None
        assert hooked_workflow(session, "wf_other", second) is None
