"""Liveness and readiness, unauthenticated."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import Deps
from storage.db import in_thread, session_scope

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(deps: Deps) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        await in_thread(_ping_database, deps)
        checks["database"] = "ok"
    except Exception as exc:  # readiness reports, it never raises
        checks["database"] = f"unavailable: {type(exc).__name__}"
    try:
        # Bounded as a whole: connecting to a black-holed address must not hang the probe.
        await asyncio.wait_for(_ping_temporal(deps), timeout=3)
        checks["temporal"] = "ok"
    except Exception as exc:
        checks["temporal"] = f"unavailable: {type(exc).__name__}"
    ready = all(value == "ok" for value in checks.values())
    return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)


async def _ping_temporal(deps: Deps) -> None:
    client = await deps.temporal()
    await client.service_client.check_health()


def _ping_database(deps: Deps) -> None:
    with session_scope(deps.engine) as session:
        session.execute(text("SELECT 1"))
