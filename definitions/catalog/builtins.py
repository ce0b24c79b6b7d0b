"""Built-in catalog entries for the reference documents' event families.

The schemas type the fields those documents name and require none of them: a built-in entry
refuses data that is certainly wrong (an email that is a number) and accepts everything else,
so events shaped by any of the five systems load. A tenant tightens a type by storing its own
entry. Derived instants are read in UTC (the ``date`` filter's zone).
"""

from __future__ import annotations

from typing import Any

from definitions.catalog import EventTypeSpec

_TEXT = {"type": ["string", "null"]}
_ID = {"type": ["string", "integer", "null"]}
_NUMBER = {"type": ["number", "string", "null"]}  # "12.50" from forms and CSVs is a number too
_COUNT = {"type": ["integer", "null"]}
_FLAG = {"type": ["boolean", "null"]}
_LIST = {"type": ["array", "null"]}


def _obj(**properties: Any) -> dict[str, Any]:
    return {"type": ["object", "null"], "properties": properties}


def _schema(**properties: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties}


_PERSON = _obj(id=_ID, name=_TEXT, first_name=_TEXT, last_name=_TEXT, email=_TEXT, phone=_TEXT)

# --------------------------------------------------------------------------- scheduling

_BOOKING = _schema(
    booking_id=_ID, booking_status=_TEXT, invitee_name=_TEXT, invitee_email=_TEXT,
    invitee_phone=_TEXT, invitee_timezone=_TEXT, attendee_count=_COUNT, start_time=_TEXT,
    end_time=_TEXT, duration=_NUMBER, cancellation_reason=_TEXT, meeting_link=_TEXT,
    meeting_id=_ID, event_type_id=_ID, event_type_name=_TEXT, event_type_slug=_TEXT,
    event_type_duration=_NUMBER, event_type_location_type=_TEXT, organizer_id=_ID,
    organizer_email=_TEXT, organizer_name=_TEXT, organizer_first_name=_TEXT,
    organizer_last_name=_TEXT, organizer_timezone=_TEXT, organizer_company=_TEXT,
    custom_answers={"type": ["object", "array", "null"]},
)  # fmt: skip
_WEEKEND = "start_time | date('%w') in ['0', '6']"
_BOOKING_DERIVED = {
    "invitee_domain": "{{ invitee_email | domain }}",
    "has_phone": "{{ (invitee_phone or '') != '' }}",
    "has_meeting_link": "{{ (meeting_link or '') != '' }}",
    "booking_hour": "{{ start_time | date('%H') | int if start_time else none }}",
    "booking_day_of_week": "{{ start_time | date('%A') if start_time else none }}",
    "booking_date": "{{ start_time | date('%Y-%m-%d') if start_time else none }}",
    "is_weekend": f"{{{{ {_WEEKEND} if start_time else none }}}}",
    "is_business_hours": "{{ (9 <= start_time | date('%H') | int < 17 and not ("
    + _WEEKEND
    + ")) if start_time else none }}",
}
_BOOKING_ROLES: dict[str, str | list[str]] = {
    "organizer": "{{ organizer_email }}",
    "invitee": "{{ invitee_email }}",
}

_APPOINTMENT = _schema(
    appointment_id=_ID, status=_TEXT, appointment_type=_TEXT, start_time=_TEXT, end_time=_TEXT,
    contact=_PERSON, staff=_PERSON, location=_TEXT, notes=_TEXT,
)  # fmt: skip
_APPOINTMENT_DERIVED = {
    "contact_domain": "{{ contact.email | domain }}",
    "appointment_hour": "{{ start_time | date('%H') | int if start_time else none }}",
    "is_weekend": f"{{{{ {_WEEKEND} if start_time else none }}}}",
}
_APPOINTMENT_ROLES: dict[str, str | list[str]] = {
    "organizer": "{{ staff.email }}",
    "invitee": "{{ contact.email }}",
}

# --------------------------------------------------------------------------- CRM

_OWNED = {"owner": _PERSON}
_LEAD = _obj(
    id=_ID, email=_TEXT, first_name=_TEXT, last_name=_TEXT, company_name=_TEXT, score=_NUMBER,
    source=_TEXT, status=_TEXT, **_OWNED,
)  # fmt: skip
_CONTACT = _obj(
    id=_ID, email=_TEXT, name=_TEXT, first_name=_TEXT, last_name=_TEXT, phone=_TEXT,
    company=_TEXT, score=_NUMBER, tags=_LIST, lists=_LIST, **_OWNED,
)  # fmt: skip
_DEAL = _obj(
    id=_ID, name=_TEXT, amount=_NUMBER, stage=_TEXT, status=_TEXT, close_date=_TEXT,
    contact=_PERSON, **_OWNED,
)  # fmt: skip
_ACCOUNT = _obj(id=_ID, name=_TEXT, industry=_TEXT, website=_TEXT, **_OWNED)

# --------------------------------------------------------------------------- ERP

_CUSTOMER = _obj(id=_ID, name=_TEXT, email=_TEXT, type=_TEXT, phone=_TEXT)
_INVOICE = _obj(
    id=_ID, number=_TEXT, amount=_NUMBER, status=_TEXT, due_date=_TEXT,
    days_overdue=_COUNT, reminder_count=_COUNT, customer=_CUSTOMER,
)  # fmt: skip
_PAYMENT = _obj(id=_ID, amount=_NUMBER, method=_TEXT, invoice_id=_ID, received_at=_TEXT)
_PROJECT = _obj(id=_ID, name=_TEXT, status=_TEXT, previous_status=_TEXT, manager=_PERSON)
_TICKET = _obj(
    id=_ID, subject=_TEXT, priority=_TEXT, status=_TEXT, customer=_CUSTOMER, assignee=_PERSON
)

# --------------------------------------------------------------------------- marketing

_MARKETING_CONTACT = {"contact": _CONTACT}


def _family(
    name: str,
    actions: dict[str, str],
    schema: dict[str, Any],
    derived: dict[str, str] | None = None,
    roles: dict[str, str | list[str]] | None = None,
) -> list[EventTypeSpec]:
    return [
        EventTypeSpec.model_validate(
            {
                "type": f"{name}.{action}",
                "description": description,
                "schema": schema,
                "derived": derived or {},
                "roles": roles or {},
                "builtin": True,
            }
        )
        for action, description in actions.items()
    ]


_BOOKING_ACTIONS = {
    "created": "A booking was made",
    "rescheduled": "A booking moved to another time",
    "cancelled": "A booking was cancelled",
    "completed": "A booked meeting ended",
}
_CUSTOMER_ROLE: dict[str, str | list[str]] = {"invitee": "{{ customer.email }}"}

BUILTINS: tuple[EventTypeSpec, ...] = (
    *_family("booking", _BOOKING_ACTIONS, _BOOKING, _BOOKING_DERIVED, _BOOKING_ROLES),
    *_family(
        "appointment",
        {**_BOOKING_ACTIONS, "confirmed": "An appointment was confirmed"},
        _APPOINTMENT,
        _APPOINTMENT_DERIVED,
        _APPOINTMENT_ROLES,
    ),
    *_family(
        "lead",
        {"created": "A new lead", "qualified": "A lead qualified", "converted": "A lead converted"},
        _schema(lead=_LEAD, lead_id=_ID, deal_id=_ID),
        {"lead_domain": "{{ lead.email | domain }}"},
        {"organizer": "{{ lead.owner.email }}", "invitee": "{{ lead.email }}"},
    ),
    *_family(
        "contact",
        {
            "created": "A new contact",
            "updated": "A contact changed",
            "tag_added": "A tag was added to a contact",
            "tag_removed": "A tag was removed from a contact",
            "list_added": "A contact joined a list",
            "list_removed": "A contact left a list",
        },
        _schema(contact=_CONTACT, contact_id=_ID, tag=_TEXT, list=_TEXT),
        {"contact_domain": "{{ contact.email | domain }}"},
        {"organizer": "{{ contact.owner.email }}", "invitee": "{{ contact.email }}"},
    ),
    *_family(
        "deal",
        {
            "created": "A new deal",
            "stage_changed": "A deal moved to another stage",
            "value_changed": "A deal's amount changed",
            "won": "A deal was won",
            "lost": "A deal was lost",
        },
        _schema(
            deal=_DEAL, deal_id=_ID, old_stage=_TEXT, new_stage=_TEXT, amount=_NUMBER, reason=_TEXT
        ),
        roles={"organizer": "{{ deal.owner.email }}", "invitee": "{{ deal.contact.email }}"},
    ),
    *_family(
        "account",
        {"created": "A new account", "updated": "An account changed"},
        _schema(account=_ACCOUNT, account_id=_ID),
        roles={"organizer": "{{ account.owner.email }}"},
    ),
    *_family(
        "invoice",
        {
            "created": "A new invoice",
            "sent": "An invoice was sent to its customer",
            "overdue": "An invoice is past its due date",
            "paid": "An invoice was paid",
        },
        _schema(invoice=_INVOICE, customer=_CUSTOMER),
        roles={"invitee": "{{ invoice.customer.email or customer.email }}"},
    ),
    *_family(
        "payment",
        {"received": "A payment was received", "failed": "A payment failed"},
        _schema(payment=_PAYMENT, invoice=_INVOICE, customer=_CUSTOMER),
        roles=_CUSTOMER_ROLE,
    ),
    *_family(
        "customer",
        {"created": "A new customer", "updated": "A customer changed"},
        _schema(customer=_CUSTOMER),
        roles=_CUSTOMER_ROLE,
    ),
    *_family(
        "project",
        {"created": "A new project", "status_changed": "A project's status changed"},
        _schema(project=_PROJECT),
        roles={"organizer": "{{ project.manager.email }}"},
    ),
    *_family(
        "ticket",
        {
            "created": "A support ticket was opened",
            "escalated": "A ticket's priority was raised",
            "resolved": "A ticket was resolved",
        },
        _schema(ticket=_TICKET, customer=_CUSTOMER),
        roles={
            "organizer": "{{ ticket.assignee.email }}",
            "invitee": "{{ ticket.customer.email or customer.email }}",
        },
    ),
    *_family(
        "form",
        {"submitted": "A form was submitted"},
        _schema(form_id=_ID, form_name=_TEXT, submission_data=_obj(), **_MARKETING_CONTACT),
        roles={"invitee": "{{ contact.email or submission_data.email }}"},
    ),
    *_family(
        "email",
        {
            "opened": "A contact opened an email",
            "clicked": "A contact clicked a link in an email",
            "replied": "A contact replied to an email",
            "bounced": "An email bounced",
            "unsubscribed": "A contact unsubscribed",
        },
        _schema(email_id=_ID, link_url=_TEXT, campaign=_TEXT, **_MARKETING_CONTACT),
        roles={"invitee": "{{ contact.email }}"},
    ),
    *_family(
        "page",
        {"visited": "A contact visited a page"},
        _schema(page_url=_TEXT, visit_data=_obj(), **_MARKETING_CONTACT),
        roles={"invitee": "{{ contact.email }}"},
    ),
    *_family(
        "score",
        {
            "threshold_reached": "A contact's score reached a threshold",
            "threshold_dropped": "A contact's score fell below a threshold",
        },
        _schema(score=_NUMBER, threshold=_NUMBER, **_MARKETING_CONTACT),
        roles={"invitee": "{{ contact.email }}"},
    ),
)

_BY_TYPE = {spec.type: spec for spec in BUILTINS}
assert len(_BY_TYPE) == len(BUILTINS), "built-in event types are unique"


def builtin_event_type(event_type: str) -> EventTypeSpec | None:
    return _BY_TYPE.get(event_type)
