"""Turning an action node's configuration into what its activity receives (its checks are the
node types' own, in ``definitions.nodes.actions``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from definitions.record_actions import TARGETED, with_record_target
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

HTTP_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"})
BODY_FORMATS = frozenset({"json", "form"})
"""``http_request`` ``body_format``: the body as JSON (default) or as an HTML form."""
AUTH_FIELDS: dict[str, tuple[str, ...]] = {"basic": ("username", "password"), "bearer": ("token",)}
"""``http_request`` ``auth`` types and the fields each needs."""
SCHEDULING_WEBHOOK = "scheduling_webhook"
PRESETS = frozenset({SCHEDULING_WEBHOOK})
"""``http_request`` ``preset`` names: a body shape of a reference system."""

TEMPLATE_CONTEXT = "template_context"
"""Where ``send_email`` with a stored ``template`` receives the run context: the template's
text lives in the database, so the activity renders it (``activities.actions``)."""


def catalog_role_addresses(
    recipient: str, context: dict[str, Any], fallback: list[str]
) -> list[str]:
    """The addresses of ``recipient`` (organizer, invitee, both) through the event type's
    catalog roles the run carries (``event.roles``); a role the catalog does not define reads
    its ``ROLE_FIELDS`` field; without catalog roles, ``fallback``."""
    roles = (context.get("event") or {}).get("roles")
    if not isinstance(roles, dict):
        return fallback
    found: list[str] = []
    for role in ("organizer", "invitee") if recipient == "both" else (recipient,):
        if role in roles:
            addresses = [str(a) for a in roles[role] or []]
        else:
            fields = ROLE_FIELDS["send_email"].get(role, ())
            addresses = [str(context[f]) for f in fields if context.get(f)]
        found += [a for a in addresses if a not in found]
    return found


def prepare_action_config(
    node_type: str, config: dict[str, Any], context: dict[str, Any], *, step_name: str = ""
) -> dict[str, Any]:
    """Render every template in ``config`` and resolve ``recipient`` roles into addresses;
    build a ``preset`` body; hand a stored email template the context it renders in.

    Raises ``TemplateRenderError`` for a template that cannot render.
    """
    rendered: dict[str, Any] = render(config, context)
    roles = ROLE_FIELDS.get(node_type)
    if roles and not rendered.get("to") and rendered.get("recipient"):
        fields = roles.get(str(rendered["recipient"]), ())
        # "custom" reads the step's own field; the other roles read the event.
        source = rendered if rendered["recipient"] == "custom" else context
        found = [str(source[f]) for f in fields if source.get(f)]
        if node_type == "send_email" and rendered["recipient"] != "custom":
            found = catalog_role_addresses(str(rendered["recipient"]), context, found)
        rendered["to"] = found if node_type == "send_email" else (found[0] if found else "")
    if node_type == "http_request" and rendered.get("preset") == SCHEDULING_WEBHOOK:
        rendered["body"] = scheduling_webhook_payload(context, rendered.get("body"), step_name)
    if node_type == "send_email" and rendered.get("template") not in (None, ""):
        rendered[TEMPLATE_CONTEXT] = plain_context(context)
    if node_type in TARGETED:  # a record action naming no record acts on the run's entity
        rendered = with_record_target(rendered, (context.get("event") or {}).get("entity"))
    return rendered


def scheduling_webhook_payload(
    context: dict[str, Any], webhook_data: Any, action: str
) -> dict[str, Any]:
    """The scheduling document's webhook body: the event's fields, who sent it, when, and the
    step's own ``webhook_data`` merged last (so an author can override any field)."""
    event = context.get("event") or {}
    workflow = context.get("workflow") or {}
    payload: dict[str, Any] = dict(event.get("data") or {})
    payload.update(
        action=action,
        workflow_id=workflow.get("id"),
        workflow_name=workflow.get("name"),
        run_id=(context.get("run") or {}).get("id"),
        event_type=event.get("type"),
        event_id=event.get("id"),
        timestamp=str(context.get("now", "")),
    )
    if isinstance(webhook_data, dict):
        payload.update(webhook_data)
    return payload


def plain_context(context: dict[str, Any]) -> dict[str, Any]:
    """The run context as plain JSON (dates as ISO text), without ``secrets``: stored templates
    cannot read secrets, so a template edit can never mail one out."""
    return {k: _plain(v) for k, v in context.items() if k != "secrets"}


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, date):  # datetimes too; ``now`` and ``today`` render as their str()
        return str(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)
