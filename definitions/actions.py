"""Turning an action node's configuration into what its activity receives."""

from __future__ import annotations

from typing import Any

from definitions.templates import render

_ROLE_FIELDS: dict[str, tuple[str, ...]] = {
    "invitee": ("invitee_email",),
    "organizer": ("organizer_email",),
    "both": ("organizer_email", "invitee_email"),
}


def prepare_action_config(
    node_type: str, config: dict[str, Any], context: dict[str, Any]
) -> dict[str, Any]:
    """Render every template in ``config`` and resolve ``recipient`` roles into addresses.

    Raises ``TemplateRenderError`` for a template that cannot render.
    """
    rendered: dict[str, Any] = render(config, context)
    if node_type == "send_email" and not rendered.get("to"):
        rendered["to"] = _recipients(rendered, context)
    return rendered


def _recipients(config: dict[str, Any], context: dict[str, Any]) -> list[str]:
    """The scheduling document's ``recipient: organizer|invitee|both|custom``.

    Roles read the event's ``<role>_email`` fields until the event catalog declares them.
    """
    role = str(config.get("recipient") or "")
    if role == "custom":
        custom = config.get("custom_email")
        return [str(custom)] if custom else []
    return [str(context[f]) for f in _ROLE_FIELDS.get(role, ()) if context.get(f)]
