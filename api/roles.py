"""Who may call what: every route's admitted roles, and what a successful call records in the
audit log — in this one table (SPEC §7).

A route is named ``"METHOD /path/{param}"`` exactly as the OpenAPI document spells it. The app
checks every request against this table before the route runs (``api.auth``), so a route that
is not declared here answers 403 to every key, and ``tests/api/test_roles.py`` walks the whole
OpenAPI document with every role against it: adding a route means adding its line here.

    "POST /v1/workflows/bulk": change(EDITORS, "workflow.bulk"),
    "GET /v1/events": read(),
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    """Everything, keys and secrets included."""
    EDITOR = "editor"
    """Workflows, templates, event types, records, runs; sends events."""
    OPERATOR = "operator"
    """Run control (cancel, retry) and read everything."""
    VIEWER = "viewer"
    """Read only; recipients and message content masked (``api.masking``)."""
    INGEST = "ingest"
    """Only ``POST /v1/events`` and record writes: the key a product backend embeds."""


ADMINS = frozenset({Role.ADMIN})
EDITORS = frozenset({Role.ADMIN, Role.EDITOR})
OPERATORS = frozenset({Role.ADMIN, Role.EDITOR, Role.OPERATOR})
READERS = frozenset({Role.ADMIN, Role.EDITOR, Role.OPERATOR, Role.VIEWER})
INGESTERS = frozenset({Role.ADMIN, Role.EDITOR, Role.INGEST})
UNMASKED_READERS = OPERATORS
"""Reads that cannot be masked (a CSV file, a webhook's secret URL) leave out viewers."""


@dataclass(frozen=True)
class Audit:
    """What a successful call records: ``action`` (``<object>.<verb>``) about the object
    ``target`` whose id is the path parameter ``id_param`` — or a template over the path
    parameters, ``"{type}/{id}"`` — unless the route names it (``AuditNote``), as it may add
    details."""

    action: str
    target: str | None = None
    id_param: str | None = None


@dataclass(frozen=True)
class Access:
    roles: frozenset[Role]
    audit: Audit | None = None


def read(roles: frozenset[Role] = READERS) -> Access:
    return Access(roles)


def change(
    roles: frozenset[Role], action: str, target: str | None = None, id_param: str | None = None
) -> Access:
    return Access(roles, Audit(action, target or action.partition(".")[0], id_param))


PUBLIC = frozenset(
    {
        "GET /healthz",
        "GET /readyz",
        "GET /metrics",
        "GET /v1/schema",  # the definition language's JSON Schema: no tenant's data
        "GET /v1/node-types",  # the node types' schemas, from the same declarations
        "POST /v1/hooks/{workflow_id}/{token}",  # its URL holds a token of its own
        "GET /v1/exports/{id}/file",  # a signed, expiring link (``api.signed_links``)
        # The codec server authenticates with its own token (``api.routes.codec``).
        "POST /codec/decode",
        "POST /codec/encode",
        "OPTIONS /codec/{operation}",
    }
)
"""Routes that take no API key."""

W = "workflow_id"
ROUTES: dict[str, Access] = {
    # workflows
    "POST /v1/workflows": change(EDITORS, "workflow.created"),
    "GET /v1/workflows": read(),
    "GET /v1/workflows/{workflow_id}": read(),
    "PUT /v1/workflows/{workflow_id}": change(EDITORS, "workflow.updated", id_param=W),
    "PATCH /v1/workflows/{workflow_id}": change(EDITORS, "workflow.updated", id_param=W),
    "DELETE /v1/workflows/{workflow_id}": change(EDITORS, "workflow.deleted", id_param=W),
    "POST /v1/workflows/{workflow_id}/activate": change(EDITORS, "workflow.activated", id_param=W),
    "POST /v1/workflows/bulk": change(EDITORS, "workflow.bulk"),
    "GET /v1/workflows/{workflow_id}/series": read(),
    "POST /v1/workflows/{workflow_id}/pause": change(EDITORS, "workflow.paused", id_param=W),
    "POST /v1/workflows/{workflow_id}/archive": change(EDITORS, "workflow.archived", id_param=W),
    "GET /v1/workflows/{workflow_id}/versions": read(),
    "GET /v1/workflows/{workflow_id}/versions/{number}": read(),
    "GET /v1/workflows/{workflow_id}/diff": read(),
    "POST /v1/workflows/{workflow_id}/rollback": change(
        EDITORS, "workflow.rolled_back", id_param=W
    ),
    "POST /v1/workflows/{workflow_id}/duplicate": change(
        EDITORS, "workflow.duplicated", id_param=W
    ),
    "POST /v1/workflows/{workflow_id}/execute": change(EDITORS, "run.started", "workflow", W),
    # Editors may preview a migration (dry_run); applying it takes an operator or an admin
    # (``api.routes.migrations.APPLIERS``): moving live runs is run control.
    "POST /v1/workflows/{workflow_id}/migrations": change(
        OPERATORS, "workflow.migration", "workflow", W
    ),
    "GET /v1/workflows/{workflow_id}/migrations": read(),
    "GET /v1/workflows/{workflow_id}/migrations/{migration_id}": read(),
    "POST /v1/workflows/validate": read(),
    "POST /v1/schedules/preview": read(),
    "POST /v1/workflows/{workflow_id}/validate": read(),
    "POST /v1/workflows/import": change(EDITORS, "workflow.imported"),
    "GET /v1/workflows/{workflow_id}/export": read(),
    "POST /v1/workflows/from-template": change(EDITORS, "workflow.created"),
    "POST /v1/workflows/{workflow_id}/test": read(EDITORS),  # live mode has real effects
    "POST /v1/workflows/bulk-test": read(EDITORS),
    "POST /v1/workflows/simulate": read(EDITORS),  # a draft, simulated: nothing is sent
    "POST /v1/workflows/render-template": read(EDITORS),  # the builder's template preview
    "GET /v1/workflows/{workflow_id}/hook": read(EDITORS),  # the URL is a credential
    "POST /v1/workflows/{workflow_id}/hook": change(EDITORS, "hook.issued", "workflow", W),
    "DELETE /v1/workflows/{workflow_id}/hook": change(EDITORS, "hook.removed", "workflow", W),
    # definitions' catalog and library
    "GET /v1/templates": read(),
    "POST /v1/email-templates": change(EDITORS, "email_template.created"),
    "GET /v1/email-templates": read(),
    "GET /v1/email-templates/{name}": read(),
    "PUT /v1/email-templates/{name}": change(EDITORS, "email_template.updated", id_param="name"),
    "DELETE /v1/email-templates/{name}": change(EDITORS, "email_template.deleted", id_param="name"),
    "GET /v1/event-types": read(),
    "POST /v1/event-types": change(EDITORS, "event_type.created"),
    "GET /v1/event-types/{event_type}": read(),
    "GET /v1/event-types/{event_type}/sample": read(),
    "PUT /v1/event-types/{event_type}": change(
        EDITORS, "event_type.updated", id_param="event_type"
    ),
    "DELETE /v1/event-types/{event_type}": change(
        EDITORS, "event_type.deleted", id_param="event_type"
    ),
    # events and runs (an event is data coming in, not a change to audit)
    "POST /v1/events": read(INGESTERS),
    "GET /v1/events/{event_id}": read(),
    "GET /v1/events": read(),
    "GET /v1/runs": read(),
    "GET /v1/workflows/{workflow_id}/runs": read(),
    "GET /v1/runs/{run_id}": read(),
    "POST /v1/runs/{run_id}/cancel": change(OPERATORS, "run.cancelled", id_param="run_id"),
    "POST /v1/runs/bulk": change(OPERATORS, "run.bulk"),
    "GET /v1/runs/{run_id}/steps": read(),
    "POST /v1/runs/{run_id}/retry": change(OPERATORS, "run.retried", id_param="run_id"),
    "GET /v1/deliveries": read(),
    "GET /v1/notifications": read(),
    "POST /v1/notifications/{id}/read": change(OPERATORS, "notification.read", id_param="id"),
    "GET /v1/exports": read(),
    "GET /v1/exports/{id}": read(),
    "GET /v1/exports/{id}/download": read(UNMASKED_READERS),
    # analytics
    "GET /v1/stats": read(),
    "GET /v1/stats/series": read(),
    "GET /v1/workflows/{workflow_id}/stats": read(),
    "GET /v1/workflows/{workflow_id}/analytics": read(),
    "GET /v1/workflows/{workflow_id}/graph": read(),
    # records (an ingest key writes them too)
    "POST /v1/records/{type}": change(INGESTERS, "record.created"),
    "GET /v1/records/{type}": read(),
    "GET /v1/records/{type}/{id}": read(),
    "PUT /v1/records/{type}/{id}": change(INGESTERS, "record.replaced", id_param="{type}/{id}"),
    "PATCH /v1/records/{type}/{id}": change(INGESTERS, "record.updated", id_param="{type}/{id}"),
    "DELETE /v1/records/{type}/{id}": change(INGESTERS, "record.deleted", id_param="{type}/{id}"),
    "GET /v1/records/{type}/{id}/history": read(),
    "POST /v1/records/{type}/{id}/tags/{tag}": change(
        INGESTERS, "record.tagged", id_param="{type}/{id}"
    ),
    "DELETE /v1/records/{type}/{id}/tags/{tag}": change(
        INGESTERS, "record.untagged", id_param="{type}/{id}"
    ),
    "POST /v1/records/{type}/{id}/lists/{list_name}": change(
        INGESTERS, "record.listed", id_param="{type}/{id}"
    ),
    "DELETE /v1/records/{type}/{id}/lists/{list_name}": change(
        INGESTERS, "record.unlisted", id_param="{type}/{id}"
    ),
    # administration
    "PUT /v1/secrets/{name}": change(ADMINS, "secret.set", id_param="name"),
    "DELETE /v1/secrets/{name}": change(ADMINS, "secret.removed", id_param="name"),
    "GET /v1/secrets": read(ADMINS),
    "POST /v1/keys": change(ADMINS, "key.issued"),
    "GET /v1/keys": read(ADMINS),
    "DELETE /v1/keys/{key_id}": change(ADMINS, "key.revoked", id_param="key_id"),
    "GET /v1/audit": read(ADMINS),
    "GET /v1/me": read(frozenset(Role)),  # who the caller is: every key may ask
    "GET /v1/tenant": read(),
    "PUT /v1/tenant": change(ADMINS, "tenant.updated"),
}


def access(method: str, path: str) -> Access | None:
    """The declaration of ``METHOD path``; None for a route nobody declared (denied)."""
    return ROUTES.get(f"{method} {path}")
