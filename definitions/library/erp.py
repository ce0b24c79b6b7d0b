"""The ERP document's eight templates (its "Workflow Templates" section).

These templates keep to what works without any stored data: records arrive with the event
(``invoices``, ``stakeholders``) and tickets, CRM updates and reports go through
``http_request`` to a URL the event or an override supplies, so a template runs against the
tenant's own systems as soon as it is installed.
"""

from __future__ import annotations

from typing import Any

_INVOICE = {
    "number": "INV-1042", "amount": 1250, "due_date": "2026-01-05", "reminder_count": 1,
    "customer": {"name": "Ann Lee", "email": "ann@example.com"},
}  # fmt: skip

INVOICE_REMINDER: dict[str, Any] = {
    "id": "invoice_reminder",
    "category": "billing",
    "definition": {
        "name": "Invoice reminder",
        "description": "Email a reminder for each overdue invoice; after three reminders, escalate "
        "it to collections instead. The overdue invoices come with the event and the "
        "escalation is an HTTP request to "
        "{{ tickets_url }} (standing in for create_ticket).",
        "trigger": {"type": "event", "event": "invoices.overdue"},
        "steps": [
            {"id": "each_invoice", "type": "for_each", "items": "{{ invoices }}", "as": "invoice",
             "body": [
                 {"id": "few_reminders", "type": "condition",
                  "condition": {"field": "invoice.reminder_count", "operator": "lt", "value": 3},
                  "then": [
                      {"id": "remind", "type": "send_email", "to": "{{ invoice.customer.email }}",
                       "subject": "Reminder: invoice {{ invoice.number }} is overdue",
                       "body": "Hi {{ invoice.customer.name | default('there') }},\n\n"
                               "Invoice {{ invoice.number }} for {{ invoice.amount }} was due on "
                               "{{ invoice.due_date }}. Please arrange payment at your earliest "
                               "convenience."},
                  ],
                  "else": [
                      {"id": "escalate", "type": "http_request", "method": "POST",
                       "url": "{{ tickets_url }}",
                       "body": {"subject":
                                    "Escalate: invoice {{ invoice.number }} severely overdue",
                                "priority": "high", "assign_to": "collections_team",
                                "customer": "{{ invoice.customer.email }}"}},
                  ]},
             ]},
        ],
    },
    "data": {
        "invoices": [_INVOICE, {**_INVOICE, "number": "INV-0977", "reminder_count": 4}],
        "tickets_url": "https://tickets.example.com/api/tickets",
    },
}  # fmt: skip

WELCOME_SEQUENCE: dict[str, Any] = {
    "id": "welcome_sequence",
    "category": "onboarding",
    "definition": {
        "name": "Welcome email sequence",
        "description": "Three onboarding emails to a new customer: at once, after two days and "
        "after a week.",
        "trigger": {"type": "event", "event": "customer.created", "entity": "{{ customer.id }}"},
        "steps": [
            {"id": "welcome", "type": "send_email", "to": "{{ customer.email }}",
             "subject": "Welcome to {{ company_name }}, {{ customer.name | default('there') }}!",
             "body": "Thanks for joining {{ company_name }}. Here is how to get started."},
            {"id": "wait_2d", "type": "wait", "duration": "2d"},
            {"id": "tips", "type": "send_email", "to": "{{ customer.email }}",
             "subject": "Three tips to get the most out of {{ company_name }}",
             "body": "Hi {{ customer.name | default('there') }}, here are three things our "
                     "customers love."},
            {"id": "wait_5d", "type": "wait", "duration": "5d"},
            {"id": "check_in", "type": "send_email", "to": "{{ customer.email }}",
             "subject": "How is it going?",
             "body": "It has been a week: reply to this email if anything is in your way."},
        ],
    },
    "data": {"customer": {"id": "cust_001", "name": "Ann Lee", "email": "ann@example.com"},
             "company_name": "Acme"},
}  # fmt: skip

PAYMENT_THANK_YOU: dict[str, Any] = {
    "id": "payment_thank_you",
    "category": "billing",
    "definition": {
        "name": "Payment thank you",
        "description": "Thank the customer by email as soon as a payment is received.",
        "trigger": {"type": "event", "event": "payment.received"},
        "steps": [
            {"id": "thank", "type": "send_email", "to": "{{ customer.email }}",
             "subject": "Thank you for your payment",
             "body": "Hi {{ customer.name | default('there') }},\n\nWe received your payment of "
                     "{{ payment.amount }} {{ payment.currency }} for invoice "
                     "{{ payment.invoice_number }}. Thank you!"},
        ],
    },
    "data": {"customer": {"name": "Ann Lee", "email": "ann@example.com"},
             "payment": {"amount": 1250, "currency": "EUR", "invoice_number": "INV-1042"}},
}  # fmt: skip

PROJECT_STATUS_UPDATE: dict[str, Any] = {
    "id": "project_status_update",
    "category": "reporting",
    "definition": {
        "name": "Project status update",
        "description": "When a project's status changes, email every stakeholder; when it goes "
        "at risk, also tell the PMO team address.",
        "trigger": {"type": "event", "event": "project.status_changed",
                    "entity": "{{ project.id }}"},
        "steps": [
            {"id": "each_stakeholder", "type": "for_each", "items": "{{ stakeholders }}",
             "as": "stakeholder",
             "body": [
                 {"id": "tell", "type": "send_email", "to": "{{ stakeholder.email }}",
                  "subject": "{{ project.name }} is now {{ project.status }}",
                  "body": "Hi {{ stakeholder.name | default('there') }},\n\n{{ project.name }} "
                          "moved from {{ previous.project.status | default('unknown') }} to "
                          "{{ project.status }}."},
             ]},
            {"id": "at_risk", "type": "send_email", "to": "pmo@example.com",
             "when": {"field": "project.status", "operator": "eq", "value": "at_risk"},
             "subject": "At risk: {{ project.name }}",
             "body": "{{ project.name }} is at risk. Owner: {{ project.owner }}."},
        ],
    },
    "data": {"project": {"id": "prj_7", "name": "Website relaunch", "status": "at_risk",
                         "owner": "Bo"},
             "stakeholders": [{"name": "Cy", "email": "cy@example.com"},
                              {"name": "Di", "email": "di@example.com"}]},
}  # fmt: skip

TICKET_ESCALATION: dict[str, Any] = {
    "id": "ticket_escalation",
    "category": "support",
    "definition": {
        "name": "Ticket escalation",
        "description": "Escalate a ticket nobody responded to within the 4-hour SLA: wait for "
        "ticket.responded for the same ticket, and on timeout email the support leads' team "
        "address (override it with yours).",
        "trigger": {"type": "event", "event": "ticket.created", "entity": "{{ ticket.id }}",
                    "cancel_on": ["ticket.closed"]},
        "steps": [
            {"id": "responded", "type": "wait_for_event", "event": "ticket.responded",
             "timeout": "4h",
             "on_timeout": [
                 {"id": "escalate", "type": "send_email", "to": "support-leads@example.com",
                  "subject": "SLA breached: ticket {{ ticket.id }} ({{ ticket.priority }})",
                  "body": "Ticket {{ ticket.id }} \"{{ ticket.subject }}\" from "
                          "{{ ticket.customer_email }} has had no response for 4 hours."},
             ]},
        ],
    },
    "data": {"ticket": {"id": "T-311", "subject": "Cannot log in", "priority": "high",
                        "customer_email": "ann@example.com"}},
}  # fmt: skip

WEEKLY_REPORT: dict[str, Any] = {
    "id": "weekly_report",
    "category": "reporting",
    "definition": {
        "name": "Weekly report",
        "description": "Every Monday at 09:00 UTC (the ERP document's 0 9 * * 1), fetch the "
        "week's business summary from the report URL its first step sets and email it to the "
        "recipients set there.",
        "trigger": {"type": "schedule", "cron": "0 9 * * 1", "timezone": "UTC"},
        "steps": [
            {"id": "settings", "type": "set",
             "values": {"report_url": "https://erp.example.com/api/reports/weekly",
                        "recipients": ["ceo@example.com", "ops@example.com"]}},
            {"id": "summary", "type": "http_request", "method": "GET", "url": "{{ report_url }}",
             "query": {"from": "{{ today - 7 }}", "to": "{{ today }}"}},
            {"id": "send", "type": "send_email", "to": "{{ recipients }}",
             "subject": "Weekly report: {{ today - 7 }} to {{ today }}",
             "body": "Revenue: {{ steps.summary.output.json.revenue }}\n"
                     "New customers: {{ steps.summary.output.json.new_customers }}\n"
                     "Open tickets: {{ steps.summary.output.json.open_tickets }}"},
        ],
    },
    "data": {},
}  # fmt: skip

LEAD_QUALIFICATION: dict[str, Any] = {
    "id": "lead_qualification",
    "category": "sales",
    "definition": {
        "name": "Lead qualification",
        "description": "Route a new lead by its score: hot leads go to the sales team's address "
        "and the CRM (an HTTP request to {{ crm_url }}), warm leads get a nurture email, the "
        "rest nothing.",
        "trigger": {"type": "event", "event": "lead.created", "entity": "{{ lead.id }}"},
        "steps": [
            {"id": "score", "type": "switch",
             "cases": [
                 {"name": "hot", "when": {"field": "lead.score", "operator": "gte", "value": 80},
                  "steps": [
                      {"id": "tell_sales", "type": "send_email", "to": "sales@example.com",
                       "subject": "Hot lead: {{ lead.name }} ({{ lead.score }})",
                       "body": "{{ lead.name }} <{{ lead.email }}> from {{ lead.company }} "
                               "scored {{ lead.score }}."},
                      {"id": "crm", "type": "http_request", "method": "POST",
                       "url": "{{ crm_url }}",
                       "body": {"lead_id": "{{ lead.id }}", "stage": "qualified"}},
                  ]},
                 {"name": "warm", "when": {"field": "lead.score", "operator": "gte", "value": 50},
                  "steps": [
                      {"id": "nurture", "type": "send_email", "to": "{{ lead.email }}",
                       "subject": "Thanks for your interest, {{ lead.name }}",
                       "body": "Here are a few resources to help you evaluate us."},
                  ]},
             ],
             "default": []},
        ],
    },
    "data": {"lead": {"id": "lead_9", "name": "Eve", "email": "eve@example.com",
                      "company": "Globex", "score": 85},
             "crm_url": "https://crm.example.com/api/leads"},
}  # fmt: skip

CONTRACT_RENEWAL: dict[str, Any] = {
    "id": "contract_renewal",
    "category": "sales",
    "definition": {
        "name": "Contract renewal",
        "description": "Remind the customer 30 days before the contract ends (skipped when that "
        "is already past); a renewal or cancellation cancels the reminder.",
        "trigger": {"type": "event", "event": "contract.signed", "entity": "{{ contract.id }}",
                    "cancel_on": ["contract.renewed", "contract.cancelled"]},
        "steps": [
            {"id": "before_end", "type": "wait", "until": "{{ contract.end_date }}",
             "offset": "-30d", "if_past": "skip"},
            {"id": "remind", "type": "send_email", "to": "{{ contract.customer_email }}",
             "subject": "Your contract {{ contract.number }} ends on "
                        "{{ contract.end_date | date('%b %d, %Y') }}",
             "body": "Hi {{ contract.customer_name | default('there') }},\n\nYour contract ends "
                     "in 30 days. Reply to this email to renew."},
        ],
    },
    "data": {"contract": {"id": "ct_5", "number": "C-2026-5", "end_date": "2027-03-31T00:00:00Z",
                          "customer_name": "Ann Lee", "customer_email": "ann@example.com"}},
}  # fmt: skip

TEMPLATES = (
    INVOICE_REMINDER, WELCOME_SEQUENCE, PAYMENT_THANK_YOU, PROJECT_STATUS_UPDATE,
    TICKET_ESCALATION, WEEKLY_REPORT, LEAD_QUALIFICATION, CONTRACT_RENEWAL,
)  # fmt: skip
