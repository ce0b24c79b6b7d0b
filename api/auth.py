"""Authentication, authorisation and the audit trail of every request, in one dependency.

``create_app`` runs ``guard`` before every route: it finds the route's declaration in
``api.roles`` (a route nobody declared is refused), authenticates the bearer key (rate-limiting
the addresses that keep failing), checks the key's role against the declaration, and — once the
route has returned without an error, before the response is sent — records the change in the
audit log when the declaration names one. Routes receive the caller as ``CurrentKey`` (or just
its tenant, ``CurrentTenant``) and may add details to the entry through ``AuditNote``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from api.deps import ApiDeps, Deps
from api.errors import ApiError
from api.roles import PUBLIC, Audit, Role, access
from storage import audit
from storage.db import in_thread, session_scope
from storage.tenants import key_for


@dataclass(frozen=True)
class Principal:
    """The caller: its key and tenant, its role, and where the request came from."""

    tenant_id: str
    key_id: str
    key_name: str
    role: Role
    client: str | None
    user_agent: str | None

    @property
    def actor(self) -> audit.Actor:
        return audit.Actor(self.tenant_id, self.key_id, self.key_name, self.client, self.user_agent)


@dataclass
class AuditTrail:
    """Details a route adds to its audit entry (the version it made, the id it created)."""

    target_id: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def note(self, target_id: str | None = None, **detail: Any) -> None:
        if target_id is not None:
            self.target_id = target_id
        self.detail.update(detail)


def _matched_path(request: Request) -> str:
    """The matched route's path as ``api.roles`` and the OpenAPI document spell it."""
    route = request.scope["route"]
    return str(getattr(route, "path_format", None) or route.path)


async def guard(request: Request, deps: Deps) -> AsyncIterator[Principal | None]:
    # Async, with its database work in ``in_thread``: a synchronous dependency would cost every
    # request two trips to the thread pool (in and out), public routes included.
    path = _matched_path(request)
    name = f"{request.method} {path}"
    if name in PUBLIC:
        yield None
        return
    principal = await in_thread(_authenticate, request, deps)
    declared = access(request.method, path)
    if declared is None:
        raise ApiError(403, "Forbidden", f"{name} declares no roles (api/roles.py)")
    if principal.role not in declared.roles:
        raise ApiError(403, "Forbidden", f"a {principal.role} key may not call {name}")
    request.state.principal = principal
    trail = AuditTrail()
    request.state.audit_trail = trail
    yield principal
    # Reached only when the route returned without an error; its session has committed.
    if declared.audit is None:
        return
    what = declared.audit
    target_id = trail.target_id
    if target_id is None and what.id_param:
        params = request.path_params
        template = what.id_param if "{" in what.id_param else "{" + what.id_param + "}"
        target_id = template.format(**params)
    await in_thread(_record, deps, principal, what, target_id, trail.detail)


def _record(
    deps: ApiDeps, principal: Principal, what: Audit, target_id: str | None, detail: dict[str, Any]
) -> None:
    with session_scope(deps.engine) as session:
        audit.record(session, principal.actor, what.action, what.target, target_id, detail)


def _authenticate(request: Request, deps: Deps) -> Principal:
    address = request.client.host if request.client else "unknown"
    limiter = deps.failed_authentications
    wait = limiter.retry_after(address)
    if wait is not None:
        raise HTTPException(
            429, "Too many failed authentications", headers={"Retry-After": str(wait)}
        )
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():  # no guess: not counted
        raise HTTPException(401, "Missing API key", headers={"WWW-Authenticate": "Bearer"})
    with session_scope(deps.engine) as session:
        row = key_for(session, key.strip())
        found = None if row is None else (row.tenant_id, row.id, row.name, row.role)
    if found is None:
        limiter.failed(address)
        raise HTTPException(401, "Invalid API key", headers={"WWW-Authenticate": "Bearer"})
    tenant_id, key_id, key_name, role = found
    return Principal(
        tenant_id, key_id, key_name, Role(role), address, request.headers.get("user-agent")
    )


async def _principal(request: Request) -> Principal:
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:  # pragma: no cover - guard runs before every authenticated route
        raise HTTPException(401, "Missing API key", headers={"WWW-Authenticate": "Bearer"})
    return principal


async def _trail(request: Request) -> AuditTrail:
    trail: AuditTrail = getattr(request.state, "audit_trail", None) or AuditTrail()
    return trail


CurrentKey = Annotated[Principal, Depends(_principal)]
AuditNote = Annotated[AuditTrail, Depends(_trail)]
