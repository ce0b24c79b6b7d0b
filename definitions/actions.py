"""Turning an action node's configuration into what its activity receives."""

from __future__ import annotations

from typing import Any

from definitions.templates import render

# ``recipient`` roles of the scheduling document → the event fields holding their address.
# An SMS goes to one number, so "both" is an email-only role.
ROLE_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "send_email": {
        "invitee": ("invitee_email",),
        "organizer": ("organizer_email",),
        "both": ("organizer_email", "invitee_email"),
        "custom": ("custom_email",),
    },
    "send_sms": {
        "invitee": ("invitee_phone",),
        "organizer": ("organizer_phone",),
        "custom": ("custom_phone",),
    },
}


def prepare_action_config(
    node_type: str, config: dict[str, Any], context: dict[str, Any]
) -> dict[str, Any]:
    """Render every template in ``config`` and resolve ``recipient`` roles into addresses.

    Raises ``TemplateRenderError`` for a template that cannot render.
    """
    rendered: dict[str, Any] = render(config, context)
    roles = ROLE_FIELDS.get(node_type)
    if roles and not rendered.get("to") and rendered.get("recipient"):
        fields = roles.get(str(rendered["recipient"]), ())
        # "custom" reads the step's own field; the other roles read the event.
        source = rendered if rendered["recipient"] == "custom" else context
        found = [str(source[f]) for f in fields if source.get(f)]
        rendered["to"] = found if node_type == "send_email" else (found[0] if found else "")
    return rendered
