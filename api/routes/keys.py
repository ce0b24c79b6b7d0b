"""A tenant's API keys: issued (shown once), listed (never the key), revoked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response, status
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.auth import AuditNote
from api.deps import CurrentTenant, SessionDep
from api.errors import ApiError, NotFound
from api.roles import Role
from api.schemas import Page
from storage.models import ApiKey
from storage.tenants import list_keys, new_key, revoke_key_id

router = APIRouter(prefix="/v1/keys", tags=["keys"])

KeyId = Annotated[str, Path(min_length=1, max_length=64, examples=["k_3f1c…"])]


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=100, strip_whitespace=True)]
    role: Role
    expires_at: datetime | None = Field(default=None, description="none: the key never expires")


class KeyOut(BaseModel):
    """A key as the API lists it: never the key itself, only its first characters."""

    id: str
    name: str
    role: Role
    prefix: str = Field(description="the key's first characters, to tell keys apart")
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None = Field(description="to the minute")
    revoked_at: datetime | None


class IssuedKey(KeyOut):
    key: str = Field(description="the key itself: shown this once, stored only as a hash")


def key_out(row: ApiKey) -> KeyOut:
    return KeyOut(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        prefix=row.prefix,
        created_at=row.created_at,
        expires_at=row.expires_at,
        last_used_at=row.last_used_at,
        revoked_at=row.revoked_at,
    )


@router.post("", status_code=status.HTTP_201_CREATED)
def issue(body: KeyIn, tenant: CurrentTenant, session: SessionDep, audit: AuditNote) -> IssuedKey:
    """A new key with a role; the response is the only place the key is ever shown."""
    if body.expires_at is not None and body.expires_at.astimezone(UTC) <= datetime.now(UTC):
        raise ApiError(422, "Invalid request", "expires_at is in the past")
    row, key = new_key(
        session, tenant, name=body.name, role=body.role.value, expires_at=body.expires_at
    )
    audit.note(row.id, name=row.name, role=row.role)
    return IssuedKey(**key_out(row).model_dump(), key=key)


@router.get("")
def list_(tenant: CurrentTenant, session: SessionDep) -> Page[KeyOut]:
    """Every key of the tenant, revoked ones included, oldest first."""
    return Page(items=[key_out(row) for row in list_keys(session, tenant)])


@router.delete("/{key_id}", status_code=status.HTTP_204_NO_CONTENT)
def revoke(key_id: KeyId, tenant: CurrentTenant, session: SessionDep) -> Response:
    """Revoke a key: it stops working at once (a key may revoke itself)."""
    if revoke_key_id(session, tenant, key_id) is None:
        raise NotFound("key", key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
