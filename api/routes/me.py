"""Who the caller is: its tenant, its key's name and role, and what that role may do — so a
client such as the console offers only the actions the key may take."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.auth import CurrentKey
from api.deps import SessionDep
from api.roles import ROUTES, Role
from storage.models import Tenant

router = APIRouter(tags=["keys"])


class Permissions(BaseModel):
    """What the key's role may do, read from the route table (``api.roles``)."""

    edit_workflows: bool = Field(description="create, change, activate, pause, archive workflows")
    control_runs: bool = Field(description="cancel and retry runs")
    send_events: bool
    administer: bool = Field(description="API keys, secrets, the audit log")
    see_customer_data: bool = Field(
        description="recipients and what was sent, unmasked (a viewer reads them masked)"
    )


class MeOut(BaseModel):
    tenant_id: str
    tenant_name: str
    key_name: str
    role: Role
    may: Permissions


def _allowed(route: str, role: Role) -> bool:
    return role in ROUTES[route].roles


@router.get("/v1/me")
def me(key: CurrentKey, session: SessionDep) -> MeOut:
    tenant = session.get(Tenant, key.tenant_id)
    return MeOut(
        tenant_id=key.tenant_id,
        tenant_name=tenant.name if tenant is not None else "",
        key_name=key.key_name,
        role=key.role,
        may=Permissions(
            edit_workflows=_allowed("PUT /v1/workflows/{workflow_id}", key.role),
            control_runs=_allowed("POST /v1/runs/{run_id}/cancel", key.role),
            send_events=_allowed("POST /v1/events", key.role),
            administer=_allowed("POST /v1/keys", key.role),
            see_customer_data=key.role != Role.VIEWER,
        ),
    )
