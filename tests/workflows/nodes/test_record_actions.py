"""Record actions in runs, on the time-skipping server: the ERP document's overdue-invoice loop
over a query's list output, and the scheduling document's update_booking on the run's booking."""

from __future__ import annotations

import uuid

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from storage.db import session_scope
from storage.records import changes_of, create_record, get_record, query_records
from tests.helpers.db import step_rows
from tests.workflows.flow_helpers import run_once

INVOICE_REMINDERS = {
    "name": "Invoice Reminder Workflow",
    "nodes": [
        {"id": "node_1", "type": "action", "action": "query_records",
         "config": {"entity": "invoice",
                    "filter": {"status": "overdue", "days_overdue": {"$gte": 7}}},
         "outputs": ["invoices"]},
        {"id": "node_2", "type": "loop", "collection": "{{invoices}}", "item_variable": "invoice",
         "body": ["node_3"]},
        {"id": "node_3", "type": "condition",
         "condition": {"field": "{{invoice.reminder_count}}", "operator": "less_than", "value": 3},
         "true_branch": ["node_4"], "false_branch": ["node_5"]},
        {"id": "node_4", "type": "update_field",
         "config": {"entity_type": "invoice", "entity_id": "{{ invoice.id }}",
                    "field": "reminder_count", "value": "{{ invoice.reminder_count + 1 }}"}},
        {"id": "node_5", "type": "action", "action": "create_ticket",
         "config": {"subject": "Escalate: Invoice {{invoice.number}} severely overdue",
                    "priority": "high", "assign_to": "collections_team"}},
    ],
    "edges": [
        {"from": "trigger", "to": "node_1"},
        {"from": "node_1", "to": "node_2"},
        {"from": "node_3", "to": "node_4", "condition": "true"},
        {"from": "node_3", "to": "node_5", "condition": "false"},
    ],
}  # fmt: skip


async def test_overdue_invoices_are_reminded_or_escalated_from_a_query(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    tenant = f"t_{uuid.uuid4().hex[:8]}"
    invoices = {
        "i1": {"number": "A-1", "status": "overdue", "days_overdue": 9, "reminder_count": 1},
        "i2": {"number": "A-2", "status": "overdue", "days_overdue": 30, "reminder_count": 3},
        "i3": {"number": "A-3", "status": "overdue", "days_overdue": 2, "reminder_count": 0},
    }
    with session_scope(engine) as session:
        for record_id, data in invoices.items():
            create_record(session, tenant, "invoice", record_id, data)

    run_id, result = await run_once(time_env, engine, INVOICE_REMINDERS, tenant=tenant)

    assert result.status == "completed"
    with session_scope(engine) as session:
        reminded = get_record(session, tenant, "invoice", "i1")
        untouched = get_record(session, tenant, "invoice", "i3")
        tickets, _ = query_records(session, tenant, "ticket", [])
        trail = changes_of(session, tenant, "invoice", "i1")
    assert reminded is not None and reminded.data["reminder_count"] == 2
    assert trail[-1].previous == {"reminder_count": 1}
    assert trail[-1].source.startswith(f"run:{run_id}:node_4")
    assert untouched is not None and untouched.data["reminder_count"] == 0
    assert [(t.data["subject"], t.data["priority"]) for t in tickets] == [
        ("Escalate: Invoice A-2 severely overdue", "high")
    ]
    steps = {row.step_key: row for row in step_rows(engine, run_id)}
    # Newest first, the store's default order.
    assert [r["id"] for r in steps["node_1"].output] == ["i2", "i1"]
    assert steps["node_5[0]"].status == "completed"
    assert steps["node_4[1]"].status == "completed"


async def test_update_booking_changes_the_runs_booking_within_the_allowed_fields(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    tenant = f"t_{uuid.uuid4().hex[:8]}"
    with session_scope(engine) as session:
        create_record(session, tenant, "booking", "bk_1", {"status": "pending"})
    document = {
        "name": "Confirm bookings",
        "trigger": "booking_created",
        "actions": [
            {"action_type": "update_booking", "order": 1,
             "update_booking_fields": {"status": "confirmed", "meeting_link": "https://m/1"}},
            {"action_type": "delete_record", "order": 2, "record_type": "booking",
             "record_id": "missing", "allow_failure": True},
        ],
    }  # fmt: skip
    run_id, result = await run_once(
        time_env, engine, document, {"booking_id": "bk_1"}, tenant=tenant, entity="bk_1"
    )
    assert result.status == "completed"
    with session_scope(engine) as session:
        booking = get_record(session, tenant, "booking", "bk_1")
    assert booking is not None
    assert booking.data == {"status": "confirmed", "meeting_link": "https://m/1"}
    steps = step_rows(engine, run_id)
    assert [(s.type, s.status) for s in steps] == [
        ("update_record", "completed"),
        ("delete_record", "failed"),
    ]
    assert steps[1].error is not None and "missing" in str(steps[1].error)
