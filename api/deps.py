"""What routes receive, as ``Annotated`` aliases so signatures read as prose."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any, Protocol

from fastapi import Depends, HTTPException, Request
from sqlmodel import Session

from api.throttle import FailedAuthentications
from runs.deps import RunsDeps
from storage.db import session_scope
from storage.payload_codec import EncryptionCodec
from storage.secrets import SecretBox
from workflows.simulation import SimulationRequest

DEFAULT_MAX_BODY_BYTES = 2_000_000
"""The largest request body any route reads, unless ``RELAY_MAX_BODY_BYTES`` says otherwise."""


class Simulator(Protocol):
    """Runs a definition with every side effect recorded (``worker.simulator.Simulator``)."""

    async def simulate(self, request: SimulationRequest) -> dict[str, Any]: ...

    async def close(self) -> None: ...


@dataclass(kw_only=True)
class ApiDeps(RunsDeps):
    """Everything the API needs from the outside, built by the composition root: what run
    intake and control need (``runs.deps``, passed to the ``runs`` service as is), and the
    API's own."""

    secrets: SecretBox | None = None
    """Encrypts tenant secrets; None when ``RELAY_SECRETS_KEY`` is unset."""
    simulator: Simulator | None = None
    """Simulations (``POST /v1/workflows/{id}/test``); starts its test server on first use."""
    codec: EncryptionCodec | None = None
    """Seals Temporal payloads; the codec server (``/codec``) decodes them for the Temporal UI."""
    codec_token: str | None = None
    """The codec server's bearer token; without one it answers loopback callers only."""
    codec_origins: tuple[str, ...] = ("http://localhost:8233", "http://127.0.0.1:8233")
    """Browser origins (the Temporal UI) allowed to call the codec server."""
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    """The largest request body any route reads (413 beyond it)."""
    failed_authentications: FailedAuthentications = field(default_factory=FailedAuthentications)
    """Addresses that keep presenting bad keys get 429 for a while."""
    link_key: bytes | None = None
    """Signs the download links emailed to people (``api.signed_links``); None: no links."""


# The dependencies that only read the request are async: FastAPI runs a synchronous one in the
# thread pool, a trip that costs more than the lookup.
async def _deps(request: Request) -> ApiDeps:
    deps: ApiDeps = request.app.state.deps
    return deps


def _session(deps: Annotated[ApiDeps, Depends(_deps)]) -> Iterator[Session]:
    with session_scope(deps.engine) as session:
        yield session


Deps = Annotated[ApiDeps, Depends(_deps)]
# "function" scope: the session commits when the route returns, before its response is sent,
# so a client that reads straight back finds what it wrote (FastAPI's default, "request", would
# commit after the response has gone out).
SessionDep = Annotated[Session, Depends(_session, scope="function")]


async def _tenant(request: Request) -> str:
    # ``api.auth.guard`` authenticated the caller before the route ran.
    principal = getattr(request.state, "principal", None)
    if principal is None:  # pragma: no cover - every authenticated route is guarded
        raise HTTPException(401, "Missing API key", headers={"WWW-Authenticate": "Bearer"})
    tenant_id: str = principal.tenant_id
    return tenant_id


CurrentTenant = Annotated[str, Depends(_tenant)]
