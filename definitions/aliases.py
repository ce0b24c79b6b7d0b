"""Names the reference documents use for triggers, events and edge labels, mapped to Relay's
canonical ones (SPEC §2.4). A node type's own aliases (type names, config keys) are declared with
the type, in ``definitions.nodes``.

Kept as data so that adding an alias never touches the normaliser's logic.
"""

from __future__ import annotations

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


def canonical_event_type(name: str) -> str:
    """``booking_created`` (the scheduling document's trigger names) → ``booking.created``.

    Dotted names and globs pass through unchanged.
    """
    name = name.strip()
    if "." in name or "*" in name or "_" not in name:
        return name
    head, _, tail = name.partition("_")
    return f"{head}.{tail}"
