"""The FastAPI application: routers, error mapping, nothing else."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from api import access_log, console, errors
from api.deps import ApiDeps
from api.routes import (
    analytics,
    analytics_series,
    authoring,
    email_templates,
    event_log,
    event_types,
    events,
    exports,
    health,
    hooks,
    metrics,
    notifications,
    records,
    runs,
    secrets,
    templates,
    testing,
    workflows,
)


def create_app(deps: ApiDeps) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        if deps.simulator is not None:  # its test server stops with the app
            await deps.simulator.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Relay",
        version="1",
        description="Workflow automations, run durably on Temporal. Authenticate with "
        "`Authorization: Bearer <api key>`.",
    )
    app.state.deps = deps
    errors.install(app)
    access_log.install(app)
    for module in (health, metrics, workflows, events, runs, secrets):
        app.include_router(module.router)
    app.include_router(authoring.router)
    app.include_router(templates.router)
    app.include_router(analytics.router)
    app.include_router(email_templates.router)
    app.include_router(testing.router)
    app.include_router(event_types.router)
    app.include_router(hooks.router)
    app.include_router(records.router)
    app.include_router(notifications.router)
    app.include_router(exports.router)
    app.include_router(event_log.router)
    app.include_router(analytics_series.router)
    console.install(app)  # last: its catch-all must not shadow an API route
    return app
