"""Write-only tenant secrets for ``{{ secrets.NAME }}``: values go in, only names come out."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response, status
from pydantic import BaseModel, ConfigDict, StringConstraints

from api.deps import CurrentTenant, Deps, SessionDep
from api.errors import NotFound, Unavailable
from api.schemas import Page
from storage.secrets import NAME_PATTERN, SecretBox, delete_secret, list_secrets, put_secret

router = APIRouter(prefix="/v1/secrets", tags=["secrets"])

Name = Annotated[str, Path(pattern=f"^{NAME_PATTERN.pattern}$", examples=["API_KEY"])]
MAX_VALUE = 65_536


class SecretIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Annotated[str, StringConstraints(min_length=1, max_length=MAX_VALUE)]


class SecretOut(BaseModel):
    """A secret as the API shows it: never its value."""

    name: str
    updated_at: datetime


def _box(deps: Deps) -> SecretBox:
    if deps.secrets is None:
        raise Unavailable("secrets are disabled: the server has no RELAY_SECRETS_KEY")
    return deps.secrets


@router.put("/{name}", status_code=status.HTTP_204_NO_CONTENT)
def put(
    name: Name, body: SecretIn, tenant: CurrentTenant, deps: Deps, session: SessionDep
) -> Response:
    """Create or replace a secret; it is stored encrypted and never returned."""
    put_secret(session, _box(deps), tenant, name, body.value)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("")
def list_(
    tenant: CurrentTenant,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=200)] = 100,
    cursor: Annotated[str | None, Query(pattern=f"^{NAME_PATTERN.pattern}$")] = None,
) -> Page[SecretOut]:
    """The tenant's secret names in order (``cursor``: the last name of the previous page)."""
    rows = list_secrets(session, tenant, after=cursor, limit=limit + 1)
    items = [SecretOut(name=row.name, updated_at=row.updated_at) for row in rows[:limit]]
    return Page(items=items, next_cursor=items[-1].name if len(rows) > limit else None)


@router.delete("/{name}", status_code=status.HTTP_204_NO_CONTENT)
def delete(name: Name, tenant: CurrentTenant, session: SessionDep) -> Response:
    if not delete_secret(session, tenant, name):
        raise NotFound("secret", name)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
