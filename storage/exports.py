"""Exports: CSV files of records that ``export`` steps make, read back through the API."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import defer
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from storage.models import Export
from storage.upsert import upsert


def save_export(session: Session, export: Export) -> Export:
    """Store ``export`` unless its idempotency key made one already; the stored one either way
    (two attempts racing store one)."""
    values: dict[str, Any] = export.model_dump()
    upsert(session, Export, values, ["tenant_id", "idempotency_key"])
    stored = export_for_key(session, export.tenant_id, export.idempotency_key)
    assert stored is not None
    return stored


def export_for_key(session: Session, tenant_id: str, key: str) -> Export | None:
    return session.exec(
        select(Export).where(Export.tenant_id == tenant_id, Export.idempotency_key == key)
    ).first()


def get_export(session: Session, tenant_id: str, export_id: str) -> Export | None:
    """The tenant's export (None for another tenant's)."""
    export = session.get(Export, export_id)
    return export if export is not None and export.tenant_id == tenant_id else None


def exports_query(
    tenant_id: str, *, record_type: str | None = None, run_id: str | None = None
) -> SelectOfScalar[Export]:
    """The tenant's exports, without their content (a list shows metadata only)."""
    query = (
        select(Export).where(Export.tenant_id == tenant_id).options(defer(Export.content))  # type: ignore[arg-type]
    )
    if record_type is not None:
        query = query.where(Export.record_type == record_type)
    if run_id is not None:
        query = query.where(col(Export.run_id) == run_id)
    return query
