"""The tenant's profile: what templates read as ``{{ tenant.name }}`` (and ``{{ firm.name }}``,
as the meeting engine's document writes it). Runs read it as they start; a scheduled workflow
reads it when it is activated or changed."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, StringConstraints

from api.deps import CurrentTenant, SessionDep
from api.errors import NotFound
from storage.models import Tenant

router = APIRouter(prefix="/v1/tenant", tags=["keys"])


class TenantProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, StringConstraints(min_length=1, max_length=200, strip_whitespace=True)]


class TenantOut(TenantProfile):
    id: str


def _tenant(session: SessionDep, tenant_id: str) -> Tenant:
    tenant = session.get(Tenant, tenant_id)
    if tenant is None:  # pragma: no cover - a key's tenant exists
        raise NotFound("tenant", tenant_id)
    return tenant


@router.get("")
def get_profile(tenant: CurrentTenant, session: SessionDep) -> TenantOut:
    row = _tenant(session, tenant)
    return TenantOut(id=row.id, name=row.name)


@router.put("")
def put_profile(body: TenantProfile, tenant: CurrentTenant, session: SessionDep) -> TenantOut:
    """Replace the profile; runs that start from now on read it."""
    row = _tenant(session, tenant)
    row.name = body.name
    session.add(row)
    return TenantOut(id=row.id, name=row.name)
