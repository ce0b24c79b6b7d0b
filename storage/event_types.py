"""The event catalog a tenant sees: its own entries over the built-in ones."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, select

from definitions.catalog import EventTypeSpec
from definitions.catalog.builtins import BUILTINS, builtin_event_type
from storage.db import param
from storage.models import EventType


def get_event_type(session: Session, tenant_id: str, event_type: str) -> EventTypeSpec | None:
    """The tenant's entry for ``event_type``, else the built-in one, else None."""
    row = _row(session, tenant_id, event_type)
    return _spec(row) if row is not None else builtin_event_type(event_type)


def list_event_types(session: Session, tenant_id: str) -> list[EventTypeSpec]:
    """Every entry the tenant sees, by type."""
    own = {
        row.type: _spec(row)
        for row in session.exec(select(EventType).where(EventType.tenant_id == tenant_id))
    }
    merged = {spec.type: spec for spec in BUILTINS} | own
    return [merged[name] for name in sorted(merged)]


def tenant_has_event_type(session: Session, tenant_id: str, event_type: str) -> bool:
    return _row(session, tenant_id, event_type) is not None


def put_event_type(session: Session, tenant_id: str, spec: EventTypeSpec) -> bool:
    """Create or replace the tenant's entry; True when it was created."""
    row = _row(session, tenant_id, spec.type)
    created = row is None
    if row is None:
        row = EventType(tenant_id=tenant_id, type=spec.type, derived={}, roles={})
    row.description = spec.description
    row.data_schema = spec.schema_
    row.derived = dict(spec.derived)
    row.roles = dict(spec.roles)
    row.updated_at = datetime.now(UTC)
    session.add(row)
    session.flush()
    return created


def delete_event_type(session: Session, tenant_id: str, event_type: str) -> bool:
    """Remove the tenant's entry (a built-in one of the same type shows again); False if none."""
    row = _row(session, tenant_id, event_type)
    if row is None:
        return False
    session.delete(row)
    return True


_ROW = select(EventType).where(
    EventType.tenant_id == param(EventType.tenant_id, "tenant"),
    EventType.type == param(EventType.type, "event_type"),
)
"""Built once (``storage.db.param``): every accepted event reads its type's entry."""


def _row(session: Session, tenant_id: str, event_type: str) -> EventType | None:
    return session.exec(_ROW, params={"tenant": tenant_id, "event_type": event_type}).first()


def _spec(row: EventType) -> EventTypeSpec:
    return EventTypeSpec.model_validate(
        {
            "type": row.type,
            "description": row.description,
            "schema": row.data_schema,
            "derived": row.derived,
            "roles": row.roles,
        }
    )
