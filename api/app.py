"""The FastAPI application: routers, error mapping, nothing else."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from api import access_log, console, errors, masking, openapi
from api.auth import guard
from api.body_limit import BodyLimit
from api.deps import ApiDeps
from api.routes import (
    analytics,
    analytics_series,
    audit,
    authoring,
    bulk,
    codec,
    deliveries,
    email_templates,
    event_log,
    event_types,
    events,
    exports,
    health,
    hooks,
    keys,
    me,
    metrics,
    migrations,
    notifications,
    records,
    runs,
    secrets,
    simulations,
    template_preview,
    templates,
    tenant,
    workflows,
)

# One router per resource; a workflow's sub-resources (validation, simulations, webhook,
# stats) have their own routers under /v1/workflows/{id}/….
ROUTERS = (
    hooks, events, health, metrics, bulk, workflows, runs, deliveries, secrets, authoring,
    templates, analytics, email_templates, simulations, event_types, records, notifications,
    exports, event_log, analytics_series, codec, keys, me, tenant, audit, migrations,
    template_preview,
)  # fmt: skip
"""In the order a request is matched against their routes: the intake's first (an incoming
webhook, an event), as a request pays for every route tried before its own (about 0.2 ms of
CPU per webhook behind ~60 routes). No route shadows another (``tests/api/test_routing``)."""


def create_app(deps: ApiDeps) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        watching = asyncio.create_task(deps.pace.watch()) if deps.pace is not None else None
        yield
        if watching is not None:
            watching.cancel()
        if deps.simulator is not None:  # its test server stops with the app
            await deps.simulator.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Relay",
        version="1",
        description="Workflow automations, run durably on Temporal. Authenticate with "
        "`Authorization: Bearer <api key>`.",
        # Every route: authenticated, authorised against ``api.roles``, audited (``api.auth``).
        dependencies=[Depends(guard, scope="function")],
    )
    app.state.deps = deps
    errors.install(app)
    openapi.install(app)
    app.add_middleware(BodyLimit, max_bytes=deps.max_body_bytes)
    masking.install(app)
    access_log.install(app)  # outermost: it logs the status the client got
    for module in ROUTERS:
        app.include_router(module.router)
    console.install(app)  # last: its catch-all must not shadow an API route
    return app
