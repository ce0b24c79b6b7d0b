"""The tenant's stored data as validation asks about it (``definitions.stored_checks``)."""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from definitions.stored_checks import StoredData
from storage.email_templates import get_email_template
from storage.models import Record, Workflow


def stored_data(session: Session, tenant_id: str, workflow_id: str | None = None) -> StoredData:
    """Lookups in ``session`` for ``tenant_id``; ``workflow_id``: the workflow being validated,
    which is no other workflow of the same name."""

    def template_exists(name: str) -> bool:
        return get_email_template(session, tenant_id, name) is not None

    def record_count(record_type: str) -> int:
        query = select(func.count()).where(
            Record.tenant_id == tenant_id, Record.type == record_type
        )
        return int(session.exec(query).one())

    def same_name(name: str) -> bool:
        query = select(Workflow.id).where(
            Workflow.tenant_id == tenant_id,
            Workflow.name == name,
            col(Workflow.status) != "archived",
        )
        if workflow_id is not None:
            query = query.where(Workflow.id != workflow_id)
        return session.exec(query.limit(1)).first() is not None

    def event_types() -> set[str] | None:
        rows = session.exec(
            select(Record).where(Record.tenant_id == tenant_id, Record.type == "event_type")
        ).all()
        if not rows:
            return None
        names = {row.record_id for row in rows}
        for row in rows:
            names |= {str(row.data[k]) for k in ("slug", "name") if row.data.get(k) is not None}
        return names

    return StoredData(template_exists, record_count, same_name, event_types)
