"""The reference documents' own JSON examples (../shared/seeds beside the repository) load unchanged (SPEC §2).

Each example is copied as the seed writes it; where the seed leaves a blank (a recipient the
system implies, a truncated line) the blank is filled minimally and the comment says so.
"""

from typing import Any

import pytest

from definitions.errors import DefinitionError
from definitions.loading import load_definition
from definitions.normalise import normalise_definition


def canonical(document: dict[str, Any]) -> dict[str, Any]:
    return normalise_definition(document).definition.canonical()


def problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as caught:
        load_definition(document)
    return [(p.path, p.message) for p in caught.value.problems]


def idempotent(document: dict[str, Any]) -> bool:
    first = canonical(document)
    return canonical(first) == first


# --------------------------------------------------------------------------- seed 000: scheduling

SCHEDULING_CONDITION = [
    {
        "operator": "AND",
        "rules": [
            {"field": "event_type_name", "operator": "equals", "value": "Discovery Call"},
            {"field": "invitee_domain", "operator": "equals", "value": "enterprise.com"},
        ],
    }
]

SCHEDULING_WORKFLOW = {
    "name": "Discovery call follow-up",
    "description": "Confirm enterprise discovery calls and tell the CRM",
    "trigger": "booking_created",
    "actions": [
        {
            "name": "Tell the CRM",
            "action_type": "webhook",
            "order": 2,
            "webhook_url": "https://crm.example.com/hooks/booking",
            "webhook_data": {"source": "scheduler"},
            "is_active": True,
        },
        {
            "name": "Confirm",
            "action_type": "send_email",
            "order": 1,
            "recipient": "invitee",
            "subject": "Your {{event_type_name}} with {{organizer_name}}",
            "message": "Hi {{invitee_name}}, see you at {{start_time}}.",
            "conditions": SCHEDULING_CONDITION,
            "is_active": True,
        },
        {
            "name": "Old SMS",
            "action_type": "send_sms",
            "order": 3,
            "recipient": "invitee",
            "message": "See you soon",
            "is_active": False,
        },
    ],
}


def test_scheduling_workflow_loads_in_its_order_with_the_condition_groups_as_when():
    definition = load_definition(SCHEDULING_WORKFLOW)
    assert definition.trigger.event == "booking.created"
    assert [(n.id, n.type, n.name) for n in definition.nodes] == [
        ("send_email_1", "send_email", "Confirm"),
        ("http_request_2", "http_request", "Tell the CRM"),
    ]
    assert [(e.source, e.target) for e in definition.edges] == [
        ("trigger", "send_email_1"),
        ("send_email_1", "http_request_2"),
    ]
    email, hook = definition.nodes
    assert email.config == {
        "recipient": "invitee",
        "subject": "Your {{event_type_name}} with {{organizer_name}}",
        "body": "Hi {{invitee_name}}, see you at {{start_time}}.",
    }
    assert email.when == {
        "and": [
            {
                "and": [
                    {
                        "field": "event_type_name",
                        "operator": "eq",
                        "value": "Discovery Call",
                        "ignore_case": False,
                    },
                    {
                        "field": "invitee_domain",
                        "operator": "eq",
                        "value": "enterprise.com",
                        "ignore_case": False,
                    },
                ]
            }
        ]
    }
    assert hook.config == {
        "url": "https://crm.example.com/hooks/booking",
        "body": {"source": "scheduler"},
    }
    assert idempotent(SCHEDULING_WORKFLOW)


def test_scheduling_custom_recipient_needs_its_email():
    step = {"action_type": "send_email", "recipient": "custom", "subject": "s", "message": "m"}
    assert problems({"name": "n", "trigger": "booking_cancelled", "actions": [step]}) == [
        ("actions[0].custom_email", "a custom recipient needs custom_email")
    ]
    step["custom_email"] = "ops@example.com"
    assert load_definition({"name": "n", "trigger": "booking_cancelled", "actions": [step]})


def test_scheduling_sms_to_a_role_loads_and_both_is_email_only():
    step = {"action_type": "send_sms", "recipient": "invitee", "message": "See you soon"}
    assert load_definition({"name": "n", "trigger": "booking_created", "actions": [step]})
    step["recipient"] = "both"
    assert problems({"name": "n", "trigger": "booking_created", "actions": [step]}) == [
        ("actions[0].recipient", "recipient is one of custom, invitee, organizer")
    ]


def test_scheduling_update_booking_loads_and_keeps_to_the_allowed_fields():
    step = {"action_type": "update_booking", "update_booking_fields": {"status": "confirmed"}}
    node = load_definition({"name": "n", "trigger": "booking_created", "actions": [step]}).nodes[0]
    assert (node.type, node.config["record_type"]) == ("update_record", "booking")
    step["update_booking_fields"] = {"status": "confirmed", "start_time": "2030-01-01T10:00:00Z"}
    ((path, message),) = problems({"name": "n", "trigger": "booking_created", "actions": [step]})
    assert path == "actions[0].update_booking_fields"
    assert message.endswith("not start_time")


# --------------------------------------------------------------------------- seed 001: marketing

MARKETING_WORKFLOW = {
    "name": "Welcome Campaign",
    "description": "Welcome new contacts",
    "trigger": {"trigger_type": "contact_created", "configuration": {}, "is_active": True},
    "nodes": [
        # The seed sends to the execution's contact implicitly; Relay names the recipient.
        {
            "node_id": "send_welcome_email",
            "node_type": "send_email",
            "label": "Send Welcome Email",
            "position_x": 100,
            "position_y": 100,
            "configuration": {
                "template_id": 123,
                "subject": "Welcome!",
                "to": "{{ contact.email }}",
            },
        },
        {
            "node_id": "wait_2_days",
            "node_type": "wait_time",
            "label": "Wait 2 Days",
            "position_x": 100,
            "position_y": 200,
            "configuration": {"wait_type": "time", "wait_duration_hours": 48},
        },
    ],
    "edges": [{"source_node": "send_welcome_email", "target_node": "wait_2_days"}],
}


def test_marketing_graph_loads():
    definition = load_definition(MARKETING_WORKFLOW)
    assert definition.trigger.type == "event" and definition.trigger.event == "contact.created"
    assert [n.model_dump(exclude_none=True) for n in definition.nodes] == [
        {
            "id": "send_welcome_email",
            "type": "send_email",
            "name": "Send Welcome Email",
            "config": {"template": 123, "subject": "Welcome!", "to": "{{ contact.email }}"},
        },
        {
            "id": "wait_2_days",
            "type": "wait",
            "name": "Wait 2 Days",
            "config": {"duration": {"hours": 48}},
        },
    ]
    assert [(e.source, e.target, e.when) for e in definition.edges] == [
        ("send_welcome_email", "wait_2_days", None),
        ("trigger", "send_welcome_email", None),
    ]
    assert idempotent(MARKETING_WORKFLOW)


@pytest.mark.parametrize(
    ("trigger_type", "event"),
    [
        ("form_submitted", "form.submitted"),
        ("email_opened", "email.opened"),
        ("deal_stage_changed", "deal.stage_changed"),
        ("score_threshold_reached", "score.threshold_reached"),
    ],
)
def test_marketing_trigger_types_become_event_types(trigger_type, event):
    document = MARKETING_WORKFLOW | {"trigger": {"trigger_type": trigger_type, "configuration": {}}}
    assert load_definition(document).trigger.event == event


def test_marketing_if_else_with_yes_no_edges_and_a_goal():
    document = {
        "name": "Opened?",
        "trigger": {"trigger_type": "email_opened", "configuration": {}},
        "nodes": [
            {
                "node_id": "check",
                "node_type": "condition",
                "configuration": {
                    "condition": {"field": "contact.score", "operator": "gte", "value": 80}
                },
            },
            {
                "node_id": "hot",
                "node_type": "send_email",
                "configuration": {
                    "to": "{{ contact.owner.email }}",
                    "subject": "Hot lead",
                    "body": "Call them today.",
                },
            },
            {"node_id": "goal", "node_type": "goal", "configuration": {}},
        ],
        "edges": [
            {"source_node": "check", "target_node": "hot", "condition_type": "yes"},
            {"source_node": "check", "target_node": "goal", "condition_type": "no"},
        ],
    }
    assert [(e["from"], e["to"], e.get("when")) for e in canonical(document)["edges"]] == [
        ("check", "hot", "true"),
        ("check", "goal", "false"),
        ("trigger", "check", None),
    ]
    assert problems(document) == [("nodes[2].configuration.condition", "a goal needs a condition")]
    goal = {"condition": {"field": "contact.score", "operator": "gte", "value": 100}}
    document["nodes"][2]["configuration"] = goal
    assert load_definition(document).nodes[2].config["condition"]["operator"] == "gte"


# --------------------------------------------------------------------------- seed 002: CRM

CRM_CONDITIONS = {
    "simple": {"field": "status", "operator": "eq", "value": "qualified"},
    "and": {
        "and": [
            {"field": "amount", "operator": "gte", "value": 1000},
            {"field": "stage", "operator": "eq", "value": "proposal"},
        ]
    },
    "or": {
        "or": [
            {"field": "priority", "operator": "eq", "value": "high"},
            {"field": "amount", "operator": "gte", "value": 50000},
        ]
    },
    "not": {"not": {"field": "status", "operator": "eq", "value": "unqualified"}},
    "nested": {
        "and": [
            {"field": "status", "operator": "eq", "value": "qualified"},
            {
                "or": [
                    {"field": "source", "operator": "eq", "value": "referral"},
                    {"field": "lead_score", "operator": "gte", "value": 80},
                ]
            },
        ]
    },
    "dot path": {"field": "lead.company_name", "operator": "contains", "value": "Tech"},
    "example 1": {
        "and": [
            {"field": "annual_revenue", "operator": "gte", "value": 1000000},
            {"field": "budget", "operator": "gte", "value": 50000},
        ]
    },
    "example 2": {"field": "new_stage", "operator": "eq", "value": "negotiation"},
    "example 3": {
        "and": [
            {"field": "status", "operator": "eq", "value": "new"},
            {"field": "lead_score", "operator": "lt", "value": 60},
        ]
    },
}

CRM_EMAIL = {
    "to": "{{lead.email}}",
    "subject": "Welcome to our platform",
    "template": "welcome_email",
    "variables": {"first_name": "{{lead.first_name}}"},
}
CRM_WEBHOOK = {
    "url": "https://api.example.com/webhooks/lead",
    "method": "POST",
    "headers": {"Authorization": "Bearer {{api_key}}", "Content-Type": "application/json"},
    "body": {"lead_id": "{{lead.id}}", "event": "lead.qualified"},
}


@pytest.mark.parametrize("condition", CRM_CONDITIONS.values(), ids=CRM_CONDITIONS.keys())
def test_crm_conditions_load_as_trigger_filters(condition):
    document = {
        "name": "n",
        "trigger": {"event_type": "lead.created", "conditions": condition},
        "steps": [{"id": "welcome", "type": "send_email", **CRM_EMAIL}],
    }
    definition = load_definition(document)
    assert definition.trigger.event == "lead.created"
    assert definition.trigger.filter is not None
    assert idempotent(document)


def test_crm_send_email_and_call_webhook_load_with_their_schemas():
    document = {
        "name": "Auto-qualify",
        "trigger": {"event_type": "deal.stage_changed", "conditions": CRM_CONDITIONS["example 2"]},
        "steps": [
            {
                "id": "email",
                "type": "send_email",
                "ordering": 1,
                "allow_failure": True,
                **CRM_EMAIL,
            },
            {"id": "hook", "type": "call_webhook", "ordering": 2, **CRM_WEBHOOK},
        ],
    }
    definition = load_definition(document)
    assert [(n.id, n.type, n.on_error) for n in definition.nodes] == [
        ("email", "send_email", "continue"),
        ("hook", "http_request", None),
    ]
    assert definition.nodes[0].config == CRM_EMAIL
    assert definition.nodes[1].config == CRM_WEBHOOK


@pytest.mark.parametrize(
    ("action", "config", "canonical_type"),
    [
        (
            "add_note",
            {
                "entity_type": "lead",
                "entity_id": "{{lead.id}}",
                "note": "Lead automatically qualified based on score",
                "visibility": "internal",
            },
            "add_note",
        ),
        (
            "update_field",
            {
                "entity_type": "lead",
                "entity_id": "{{lead.id}}",
                "field": "status",
                "value": "contacted",
            },
            "update_record",
        ),
        (
            "enqueue_export",
            {
                "export_type": "csv",
                "entity_type": "lead",
                "filters": {"status": "qualified", "created_at__gte": "{{today-30}}"},
                "email_to": "{{user.email}}",
            },
            "export",
        ),
        (
            "create_task",
            {
                "title": "Follow up with {{lead.company_name}}",
                "description": "Lead showed high interest",
                "assignee": "{{lead.owner.email}}",
                "due_date": "{{today+2}}",
                "priority": "high",
            },
            "create_record",
        ),
        (
            "send_notification",
            {
                "recipient": "{{lead.owner.email}}",
                "message": "New qualified lead: {{lead.company_name}}",
                "notification_type": "in_app",
                "link": "/leads/{{lead.id}}",
            },
            "notify",
        ),
    ],
)
def test_crm_actions_normalise_and_load(action, config, canonical_type):
    document = {
        "name": "n",
        "trigger": {"event_type": "lead.created"},
        "steps": [{"id": "a", "action_type": action, "action_config": config}],
    }
    node = canonical(document)["nodes"][0]
    assert node["type"] == canonical_type
    assert {k: v for k, v in node["config"].items() if k != "record_type"} == config
    assert load_definition(document).nodes[0].type == canonical_type


# --------------------------------------------------------------------------- seed 003: ERP

ERP_DOCUMENT = {
    "id": "wf_001",
    "name": "Invoice Reminder Workflow",
    "description": "Send reminders for overdue invoices",
    "version": 1,
    "status": "active",
    "trigger": {"type": "schedule", "config": {"cron": "0 9 * * *"}},
    "nodes": [
        {
            "id": "node_1",
            "type": "action",
            "action": "query_records",
            "config": {
                "entity": "invoices",
                "filter": {"status": "overdue", "days_overdue": {"$gte": 7}},
            },
            "outputs": ["invoices"],
        },
        {
            "id": "node_2",
            "type": "loop",
            "collection": "{{invoices}}",
            "item_variable": "invoice",
            "body": ["node_3", "node_4"],
        },
        # Truncated in the seed file; reconstructed minimally.
        {
            "id": "node_3",
            "type": "condition",
            "condition": {
                "field": "{{invoice.reminder_count}}",
                "operator": "less_than",
                "value": 3,
            },
            "true_branch": ["node_4"],
            "false_branch": ["node_5"],
        },
        {
            "id": "node_4",
            "type": "action",
            "action": "send_email",
            "config": {
                "to": "{{invoice.customer.email}}",
                "template": "invoice_reminder",
                "variables": {
                    "invoice_number": "{{invoice.number}}",
                    "amount": "{{invoice.amount}}",
                    "due_date": "{{invoice.due_date}}",
                },
            },
        },
        {
            "id": "node_5",
            "type": "action",
            "action": "create_ticket",
            "config": {
                "subject": "Escalate: Invoice {{invoice.number}} severely overdue",
                "priority": "high",
                "assign_to": "collections_team",
            },
        },
    ],
    "edges": [
        {"from": "trigger", "to": "node_1"},
        {"from": "node_1", "to": "node_2"},
        {"from": "node_2", "to": "node_3"},
        {"from": "node_3", "to": "node_4", "condition": "true"},
        {"from": "node_3", "to": "node_5", "condition": "false"},
    ],
}


# The document's id, version and status describe its stored workflow, which Relay keeps itself:
# they are refused (below); the workflow is the rest.
ERP_WORKFLOW = {k: v for k, v in ERP_DOCUMENT.items() if k not in ("id", "version", "status")}


def test_erp_stored_workflow_fields_are_refused_with_where_relay_keeps_them():
    with pytest.raises(DefinitionError) as caught:
        normalise_definition(ERP_DOCUMENT)
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("id", "Relay gives a workflow its id (POST /v1/workflows answers with it)"),
        ("version", "Relay numbers a workflow's versions itself, one per change"),
        ("status", "a workflow's status changes by POST /v1/workflows/{id}/activate or /pause"),
    ]


def test_erp_invoice_reminder_normalises_into_the_canonical_graph():
    assert canonical(ERP_WORKFLOW) == {
        "name": "Invoice Reminder Workflow",
        "description": "Send reminders for overdue invoices",
        "trigger": {"type": "schedule", "cron": "0 9 * * *", "priority": 0, "cancel_on": []},
        "nodes": [
            {
                "id": "node_1",
                "type": "query_records",
                "config": {
                    "entity": "invoices",
                    "filter": {"status": "overdue", "days_overdue": {"$gte": 7}},
                },
                "output": "invoices",
            },
            {
                "id": "node_2",
                "type": "for_each",
                "config": {"items": "{{invoices}}", "as": "invoice", "concurrency": 1},
            },
            {
                "id": "node_3",
                "type": "condition",
                "config": {
                    "condition": {
                        "field": "invoice.reminder_count",
                        "operator": "lt",
                        "value": 3,
                        "ignore_case": False,
                    }
                },
            },
            {
                "id": "node_4",
                "type": "send_email",
                "config": {
                    "to": "{{invoice.customer.email}}",
                    "template": "invoice_reminder",
                    "variables": {
                        "invoice_number": "{{invoice.number}}",
                        "amount": "{{invoice.amount}}",
                        "due_date": "{{invoice.due_date}}",
                    },
                },
            },
            {
                "id": "node_5",
                "type": "create_record",
                "config": {
                    "subject": "Escalate: Invoice {{invoice.number}} severely overdue",
                    "priority": "high",
                    "assign_to": "collections_team",
                    "record_type": "ticket",
                },
            },
        ],
        "edges": [
            {"from": "trigger", "to": "node_1"},
            {"from": "node_1", "to": "node_2"},
            # The written plain edge and the inline body name the same edge: the loop's body.
            {"from": "node_2", "to": "node_3", "when": "body"},
            {"from": "node_3", "to": "node_4", "when": "true"},
            {"from": "node_3", "to": "node_5", "when": "false"},
        ],
        "settings": {"on_error": "continue", "timezone": "UTC"},
    }
    assert idempotent(ERP_WORKFLOW)


def test_erp_invoice_reminder_loads_with_its_query_loop_and_ticket():
    definition = load_definition(ERP_WORKFLOW)
    assert [n.type for n in definition.nodes] == [
        "query_records", "for_each", "condition", "send_email", "create_record",
    ]  # fmt: skip


def test_erp_new_customer_welcome_loads():
    document = {
        "name": "New Customer Welcome",
        "trigger": {"type": "event", "event": "customer.created"},
        # The seed elides nodes and edges ("[...]"); one email node fills the blank.
        "nodes": [
            {
                "id": "welcome",
                "type": "action",
                "action": "send_email",
                "config": {"to": "{{customer.email}}", "template": "welcome_email"},
            }
        ],
        "edges": [{"from": "trigger", "to": "welcome"}],
    }
    assert load_definition(document).trigger.event == "customer.created"


def test_erp_typed_condition_as_a_step_when():
    condition = {
        "type": "and",
        "conditions": [
            {"field": "invoice.amount", "operator": "greater_than", "value": 1000},
            {"field": "customer.type", "operator": "equals", "value": "enterprise"},
        ],
    }
    document = {
        "name": "n",
        "trigger": {"event": "invoice.overdue"},
        "steps": [
            {
                "id": "a",
                "type": "send_email",
                "to": "{{customer.email}}",
                "template": "invoice_reminder",
                "when": condition,
            }
        ],
    }
    assert load_definition(document).nodes[0].when == {
        "and": [
            {"field": "invoice.amount", "operator": "gt", "value": 1000, "ignore_case": False},
            {
                "field": "customer.type",
                "operator": "eq",
                "value": "enterprise",
                "ignore_case": False,
            },
        ]
    }


# --------------------------------------------------------------------------- seed 004: meeting engine

REMINDER_BODY = """Hi {{contact.name}},
        
This is a reminder that you have an appointment tomorrow at {{appointment.start_time}}.

Location: {{appointment.location_details}}

Looking forward to speaking with you!

{{staff.name}}"""
THANKS_BODY = """Hi {{contact.name}},
        
Thank you for meeting with me today. I've attached the materials we discussed.

Please let me know if you have any questions!

Best regards,
{{staff.name}}"""
CONFIRMATION_BODY = """Hi {{contact.name}},
        
Your appointment has been confirmed for {{appointment.start_time}}.

We'll send you a reminder 24 hours before the appointment.

{{firm.name}}"""

MEETING_WORKFLOWS = {
    "24hr Reminder": {
        "name": "24hr Reminder",
        "trigger": "appointment_created",
        "steps": [
            # delay_minutes=-1440: 24 hours before the appointment's start.
            {
                "id": "before",
                "type": "wait",
                "until": "{{ appointment.start_time }}",
                "offset": "-24h",
            },
            {
                "id": "remind",
                "action_type": "send_email",
                "action_config": {
                    "subject": "Appointment Tomorrow",
                    "template": REMINDER_BODY,
                    "to_email": "{{contact.email}}",
                },
            },
        ],
    },
    "Thank You Email": {
        "name": "Thank You Email",
        "trigger": "appointment_completed",
        "steps": [
            {"id": "after", "type": "delay", "delay_minutes": 60},
            {
                "id": "thanks",
                "action_type": "send_email",
                "action_config": {
                    "subject": "Thank you for your time",
                    "template": THANKS_BODY,
                    "to_email": "{{contact.email}}",
                },
            },
        ],
    },
    "Confirmation Email": {
        "name": "Confirmation Email",
        "trigger": "appointment_confirmed",
        "steps": [
            {
                "id": "confirm",
                "action_type": "send_email",
                "action_config": {
                    "subject": "Your appointment is confirmed",
                    "template": CONFIRMATION_BODY,
                    "to_email": "{{contact.email}}",
                    "from_email": "noreply@firm.com",
                },
            },
        ],
    },
}


@pytest.mark.parametrize("document", MEETING_WORKFLOWS.values(), ids=MEETING_WORKFLOWS.keys())
def test_meeting_engine_workflows_load(document):
    definition = load_definition(document)
    assert definition.trigger.event is not None and definition.trigger.event.startswith(
        "appointment."
    )
    email = definition.nodes[-1]
    assert email.type == "send_email"
    assert email.config["to"] == "{{contact.email}}"
    assert email.config["body"].startswith("Hi {{contact.name}},")
    assert "template" not in email.config
    assert idempotent(document)


def test_meeting_engine_delays_become_waits():
    reminder, thanks = (
        load_definition(MEETING_WORKFLOWS[k]).nodes[0] for k in ("24hr Reminder", "Thank You Email")
    )
    assert reminder.config == {"until": "{{ appointment.start_time }}", "offset": "-24h"}
    assert thanks.config == {"duration": {"minutes": 60}}
    confirmation = load_definition(MEETING_WORKFLOWS["Confirmation Email"]).nodes[0]
    assert confirmation.config["from"] == "noreply@firm.com"


def test_meeting_engine_negative_delay_as_written_is_refused_with_the_way_out():
    document = {
        "name": "n",
        "trigger": "appointment_created",
        "steps": [{"id": "w", "type": "delay", "delay_minutes": -1440}],
    }
    ((path, message),) = problems(document)
    assert path == "steps[0].delay_minutes"
    assert "until" in message and "offset" in message


def test_meeting_engine_sms_and_task_actions():
    sms = {
        "name": "n",
        "trigger": "appointment_created",
        "steps": [
            {
                "action_type": "send_sms",
                "action_config": {
                    "message": "SMS message with {{contact.name}}",
                    "to_phone": "+1234567890",
                },
            }
        ],
    }
    assert load_definition(sms).nodes[0].config == {
        "body": "SMS message with {{contact.name}}",
        "to": "+1234567890",
    }
    task = {
        "name": "n",
        "trigger": "appointment_completed",
        "steps": [
            {
                "action_type": "create_task",
                "action_config": {
                    "title": "Follow up on {{appointment.id}}",
                    "description": "Send follow-up materials",
                    "due_days": 2,
                },
            }
        ],
    }
    assert load_definition(task).nodes[0].config == {
        "title": "Follow up on {{appointment.id}}",
        "description": "Send follow-up materials",
        "due_days": 2,
        "record_type": "task",
    }
