"""Names the reference documents use, mapped to Relay's canonical ones (SPEC §2.4).

Kept as data so that adding an alias never touches the normaliser's logic.
"""

from __future__ import annotations

NODE_TYPE_ALIASES: dict[str, str] = {
    "email": "send_email",
    "sms": "send_sms",
    "webhook": "http_request",
    "call_webhook": "http_request",
    "slack_message": "slack",
    "send_notification": "notify",
    "internal_notification": "notify",
    "create_task": "create_record",
    "create_deal": "create_record",
    "create_ticket": "create_record",
    "update_field": "update_record",
    "update_contact": "update_record",
    "update_deal": "update_record",
    "update_booking": "update_record",
    "calculate": "set",
    "transform": "set",
    "enqueue_export": "export",
    "if": "condition",
    "if_else": "condition",
    "delay": "wait",
    "wait_time": "wait",
    "wait_until": "wait",
    "loop": "for_each",
    "ab_split": "split",
    "end": "stop",
    # The marketing document names tag and list actions after the triggers they cause.
    "contact_tag_added": "add_tag",
    "contact_tag_removed": "remove_tag",
    "contact_list_added": "add_to_list",
    "contact_list_removed": "remove_from_list",
}

# What an alias says beyond the canonical type (``create_task`` = ``create_record`` of a task).
NODE_TYPE_DEFAULTS: dict[str, dict[str, str]] = {
    "create_task": {"record_type": "task"},
    "create_deal": {"record_type": "deal"},
    "create_ticket": {"record_type": "ticket"},
    "update_contact": {"record_type": "contact"},
    "update_deal": {"record_type": "deal"},
    "update_booking": {"record_type": "booking"},
}

# Per canonical node type: input key -> canonical config key.
CONFIG_KEY_ALIASES: dict[str, dict[str, str]] = {
    "send_email": {
        "to_email": "to",
        "from_email": "from",
        "message": "body",
        "text": "body",
        "template_id": "template",
    },
    "send_sms": {"to_phone": "to", "phone": "to", "message": "body"},
    "http_request": {"webhook_url": "url", "data": "body", "webhook_data": "body"},
    "slack": {"webhook_url": "url", "message": "text"},
    "activity": {"activity_name": "activity", "queue": "task_queue"},
    "wait": {"delay": "duration"},
    "for_each": {"collection": "items", "item_variable": "as"},
    "wait_for_event": {"event_type": "event", "filter": "condition"},
    "goal": {"goal_value": "value"},
    "sub_workflow": {"workflow": "workflow_id", "definition_id": "workflow_id", "inputs": "input"},
    "set": {"variables": "values", "set": "values", "variable": "name"},
    "switch": {"default_branch": "default"},
}

# Trigger "event" names that are really trigger kinds (the marketing and ERP trigger_type).
TRIGGER_KIND_ALIASES: dict[str, str] = {
    "manual": "manual",
    "api": "manual",
    "schedule": "schedule",
    "webhook": "webhook",
}

EDGE_LABEL_ALIASES: dict[str, str | None] = {
    "yes": "true",
    "no": "false",
    "true": "true",
    "false": "false",
    "on_error": "error",
    "failure": "error",
    "error": "error",
    "received": "received",
    "timeout": "timeout",
    "on_timeout": "timeout",
    "timed_out": "timeout",
    "body": "body",
    "branch": "branch",
    # Only a switch has a "default" edge (its own labels are matched before these aliases);
    # elsewhere the builders' "default" edge is the plain one.
    "default": None,
    "success": None,
    "next": None,
    "always": None,
    "": None,
}


def canonical_node_type(name: str) -> str:
    key = name.strip().lower()
    return NODE_TYPE_ALIASES.get(key, key)


def node_type_defaults(name: str) -> dict[str, str]:
    return NODE_TYPE_DEFAULTS.get(name.strip().lower(), {})


def canonical_event_type(name: str) -> str:
    """``booking_created`` (the scheduling document's trigger names) → ``booking.created``.

    Dotted names and globs pass through unchanged.
    """
    name = name.strip()
    if "." in name or "*" in name or "_" not in name:
        return name
    head, _, tail = name.partition("_")
    return f"{head}.{tail}"
