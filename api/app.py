"""The FastAPI application: routers, error mapping, nothing else."""

from __future__ import annotations

from fastapi import FastAPI

from api import errors
from api.deps import ApiDeps
from api.routes import authoring, events, health, metrics, runs, secrets, templates, workflows


def create_app(deps: ApiDeps) -> FastAPI:
    app = FastAPI(
        title="Relay",
        version="1",
        description="Workflow automations, run durably on Temporal. Authenticate with "
        "`Authorization: Bearer <api key>`.",
    )
    app.state.deps = deps
    errors.install(app)
    for module in (health, metrics, workflows, events, runs, secrets):
        app.include_router(module.router)
    app.include_router(authoring.router)
    app.include_router(templates.router)
    return app
