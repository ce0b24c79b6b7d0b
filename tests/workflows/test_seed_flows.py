"""Whole flows from the reference documents, run by the interpreter with real peers."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from tests.helpers.db import step_rows, steps_of
from tests.helpers.peers import RecordingHttpServer, SmtpSink
from tests.helpers.temporal import relay_worker, run_input, start_run

# The ERP document's invoice-reminder graph in its own format (loop with collection /
# item_variable / body ids, condition with true_branch / false_branch, edges with "condition").
# Its query_records and create_ticket actions belong to the record store; here the invoices come
# with the event and the escalation goes to a ticketing webhook.
INVOICE_REMINDER = {
    "name": "Invoice Reminder Workflow",
    "trigger": {"type": "event", "event": "invoices.overdue"},
    "nodes": [
        {"id": "node_2", "type": "loop", "collection": "{{ invoices }}", "item_variable": "invoice",
         "body": ["node_3"]},
        {"id": "node_3", "type": "condition",
         "condition": {"field": "{{invoice.reminder_count}}", "operator": "less_than", "value": 3},
         "true_branch": ["node_4"], "false_branch": ["node_5"]},
        {"id": "node_4", "type": "action", "action": "send_email",
         "config": {"to": "{{ invoice.customer.email }}", "subject": "Reminder: invoice {{ invoice.number }}",
                    "body": "{{ invoice.amount }} was due on {{ invoice.due_date }}."}},
        {"id": "node_5", "type": "action", "action": "webhook",
         "config": {"url": "{{ tickets_url }}",
                    "body": {"subject": "Escalate: Invoice {{ invoice.number }} severely overdue",
                             "priority": "high", "assign_to": "collections_team"}}},
    ],
    "edges": [
        {"from": "trigger", "to": "node_2"},
        {"from": "node_2", "to": "node_3"},
        {"from": "node_3", "to": "node_4", "condition": "true"},
        {"from": "node_3", "to": "node_5", "condition": "false"},
    ],
}  # fmt: skip

INVOICES = [
    {"number": "A-1", "amount": 120, "due_date": "2026-01-05", "reminder_count": 0,
     "customer": {"email": "ann@example.com"}},
    {"number": "A-2", "amount": 80, "due_date": "2026-01-02", "reminder_count": 5,
     "customer": {"email": "bo@example.com"}},
    {"number": "A-3", "amount": 42, "due_date": "2026-01-09", "reminder_count": "2",
     "customer": {"email": "cy@example.com"}},
]  # fmt: skip


async def test_erp_invoice_reminder_emails_or_escalates_each_invoice(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    with SmtpSink() as smtp, RecordingHttpServer() as tickets:
        async with relay_worker(time_env.client, engine, smtp_url=smtp.url()) as worker:
            data = {"invoices": INVOICES, "tickets_url": tickets.url("/tickets")}
            handle = await start_run(time_env.client, worker, run_input(INVOICE_REMINDER, data))
            result = await handle.result()
    assert result.status == "completed"
    assert sorted((m.rcpt_tos[0], m.message["Subject"]) for m in smtp.messages) == [
        ("ann@example.com", "Reminder: invoice A-1"),
        ("cy@example.com", "Reminder: invoice A-3"),
    ]
    assert [r.json["subject"] for r in tickets.requests] == [
        "Escalate: Invoice A-2 severely overdue"
    ]
    steps = steps_of(engine, handle.id)
    assert steps["node_2"].output == {"count": 3}
    keys = {s.step_key for s in step_rows(engine, handle.id)}
    assert {"node_4[0]", "node_5[1]", "node_4[2]", "node_3[0]", "node_3[1]", "node_3[2]"} <= keys


async def test_meeting_engine_reminder_thank_you_and_confirmation(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    """The meeting engine's three workflows, as one definition each, on one appointment."""
    start = (await time_env.get_current_time()).replace(microsecond=0)
    appointment = {
        "appointment": {"id": "ap-1", "start_time": (start.replace(year=start.year + 1)).isoformat(),
                        "end_time": (start.replace(year=start.year + 1)).isoformat()},
        "contact": {"name": "Ann", "email": "ann@example.com"},
        "staff": {"name": "Dr. Who"},
        "firm": {"name": "Acme Clinic"},
    }  # fmt: skip
    reminder = {
        "name": "24-Hour Reminder",
        "trigger": "appointment_created",
        "steps": [
            {"type": "wait", "until": "{{ appointment.start_time }}", "offset": "-24h", "if_past": "skip"},
            {"type": "send_email", "subject": "Appointment Reminder", "to_email": "{{ contact.email }}",
             "from_email": "noreply@firm.com",
             "template": "Hi {{ contact.name }}, your appointment is at {{ appointment.start_time }}"},
        ],
    }  # fmt: skip
    thank_you = {
        "name": "Thank You Email",
        "trigger": "appointment_completed",
        "steps": [
            {"type": "wait", "until": "{{ appointment.end_time }}", "offset": "1h"},
            {"type": "send_email", "subject": "Thank you for your time", "to_email": "{{ contact.email }}",
             "template": "Hi {{ contact.name }},\n\nThank you for meeting with me today.\n\n{{ staff.name }}"},
        ],
    }  # fmt: skip
    confirmation = {
        "name": "Confirmation Email",
        "trigger": "appointment_confirmed",
        "steps": [
            {"type": "send_email", "subject": "Your appointment is confirmed", "to_email": "{{ contact.email }}",
             "template": "Hi {{ contact.name }},\n\nYour appointment has been confirmed.\n\n{{ firm.name }}"},
        ],
    }  # fmt: skip
    with SmtpSink() as smtp:
        async with relay_worker(time_env.client, engine, smtp_url=smtp.url()) as worker:
            for document in (reminder, thank_you, confirmation):
                handle = await start_run(time_env.client, worker, run_input(document, appointment))
                assert (await handle.result()).status == "completed"
    subjects = [m.message["Subject"] for m in smtp.messages]
    assert subjects == [
        "Appointment Reminder",
        "Thank you for your time",
        "Your appointment is confirmed",
    ]
    assert smtp.messages[0].mail_from == "noreply@firm.com"
    assert "Dr. Who" in smtp.messages[1].message.get_content()
