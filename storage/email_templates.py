"""Stored email templates: a tenant's emails by name, for ``send_email`` with ``template``."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlmodel import Session, col, select

from storage.models import EmailTemplate

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
"""A name a step can write as ``"template": "welcome"`` (the marketing document's numeric
template ids included)."""


def get_email_template(session: Session, tenant_id: str, name: str) -> EmailTemplate | None:
    return session.exec(
        select(EmailTemplate).where(
            EmailTemplate.tenant_id == tenant_id, EmailTemplate.name == name
        )
    ).first()


def list_email_templates(
    session: Session, tenant_id: str, *, after: str | None = None, limit: int | None = None
) -> list[EmailTemplate]:
    """The tenant's templates in name order, from the name after ``after``."""
    query = select(EmailTemplate).where(EmailTemplate.tenant_id == tenant_id)
    if after is not None:
        query = query.where(col(EmailTemplate.name) > after)
    return list(session.exec(query.order_by(col(EmailTemplate.name)).limit(limit)).all())


def put_email_template(
    session: Session,
    tenant_id: str,
    name: str,
    *,
    subject: str,
    text: str | None,
    html: str | None,
) -> tuple[EmailTemplate, bool]:
    """Create or replace the tenant's template ``name``; True when it was created."""
    row = get_email_template(session, tenant_id, name)
    created = row is None
    if row is None:
        row = EmailTemplate(tenant_id=tenant_id, name=name)
    row.subject, row.text, row.html = subject, text, html
    row.updated_at = datetime.now(UTC)
    session.add(row)
    session.flush()
    session.refresh(row)
    return row, created


def delete_email_template(session: Session, tenant_id: str, name: str) -> bool:
    """Whether there was such a template to delete."""
    row = get_email_template(session, tenant_id, name)
    if row is None:
        return False
    session.delete(row)
    return True
