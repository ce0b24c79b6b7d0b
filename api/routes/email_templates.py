"""Stored email templates (``/v1/email-templates``) that ``send_email`` uses by ``template``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, StringConstraints

from api.deps import CurrentTenant, SessionDep
from api.errors import ApiError, Conflict, NotFound
from api.schemas import Page
from definitions.templates import check_template_syntax
from storage.email_templates import (
    NAME_PATTERN,
    delete_email_template,
    get_email_template,
    list_email_templates,
    put_email_template,
)
from storage.models import EmailTemplate

router = APIRouter(prefix="/v1/email-templates", tags=["email templates"])

TemplateName = Annotated[str, StringConstraints(pattern=f"^{NAME_PATTERN.pattern}$")]
NameInPath = Annotated[str, Path(pattern=f"^{NAME_PATTERN.pattern}$", examples=["welcome"])]
MAX_TEMPLATE = 100_000
Source = Annotated[str, StringConstraints(max_length=MAX_TEMPLATE)]


class EmailTemplateBody(BaseModel):
    """A template's content: Jinja2, rendered with the run context and the step's
    ``variables`` (``{{ invitee_name }}``, ``{{ steps.quote.output.json.total }}``)."""

    model_config = ConfigDict(extra="forbid")

    subject: Annotated[str, StringConstraints(min_length=1, max_length=2_000)]
    text: Source | None = None
    html: Source | None = None


class EmailTemplateIn(EmailTemplateBody):
    name: TemplateName


class EmailTemplateOut(BaseModel):
    name: str
    subject: str
    text: str | None
    html: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, row: EmailTemplate) -> EmailTemplateOut:
        return cls(
            name=row.name,
            subject=row.subject,
            text=row.text,
            html=row.html,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


def _checked(body: EmailTemplateBody) -> EmailTemplateBody:
    """422 with a path per field that has no content or does not parse as a template."""
    errors = [
        {"path": field, "message": f"invalid template: {message}"}
        for field in ("subject", "text", "html")
        if (message := check_template_syntax(getattr(body, field) or ""))
    ]
    if body.text is None and body.html is None:
        errors.append({"path": "text", "message": "a template needs text or html (or both)"})
    if errors:
        raise ApiError(422, "Invalid email template", f"{len(errors)} problem(s)", errors=errors)
    return body


@router.post("", status_code=status.HTTP_201_CREATED)
def create(body: EmailTemplateIn, tenant: CurrentTenant, session: SessionDep) -> EmailTemplateOut:
    """Store a new template (409 if the name is taken: PUT replaces)."""
    _checked(body)
    if get_email_template(session, tenant, body.name) is not None:
        raise Conflict(f"an email template named {body.name!r} exists; PUT replaces it")
    row, _ = put_email_template(
        session, tenant, body.name, subject=body.subject, text=body.text, html=body.html
    )
    return EmailTemplateOut.of(row)


@router.get("")
def list_(
    tenant: CurrentTenant,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    cursor: Annotated[str | None, Query(pattern=f"^{NAME_PATTERN.pattern}$")] = None,
) -> Page[EmailTemplateOut]:
    """The tenant's templates in name order (``cursor``: the last name of the previous page)."""
    rows = list_email_templates(session, tenant, after=cursor, limit=limit + 1)
    items = [EmailTemplateOut.of(row) for row in rows[:limit]]
    return Page(items=items, next_cursor=items[-1].name if len(rows) > limit else None)


@router.get("/{name}")
def read(name: NameInPath, tenant: CurrentTenant, session: SessionDep) -> EmailTemplateOut:
    row = get_email_template(session, tenant, name)
    if row is None:
        raise NotFound("email template", name)
    return EmailTemplateOut.of(row)


@router.put("/{name}", responses={201: {"model": EmailTemplateOut, "description": "created"}})
def replace(
    name: NameInPath,
    body: EmailTemplateBody,
    tenant: CurrentTenant,
    session: SessionDep,
    response: Response,
) -> EmailTemplateOut:
    """Create or replace the template ``name`` (201 when created); runs sending it later
    use the new content."""
    _checked(body)
    row, created = put_email_template(
        session, tenant, name, subject=body.subject, text=body.text, html=body.html
    )
    if created:
        response.status_code = status.HTTP_201_CREATED
    return EmailTemplateOut.of(row)


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete(name: NameInPath, tenant: CurrentTenant, session: SessionDep) -> Response:
    if not delete_email_template(session, tenant, name):
        raise NotFound("email template", name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
