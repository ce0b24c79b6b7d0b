"""The committed console bundle: built from the committed sources, served by the API at ``/``
without shadowing any API route. No browser, no Node.js."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from temporalio.client import Client

from api.app import create_app
from api.console import DIST
from api.deps import ApiDeps

ROOT = Path(__file__).resolve().parents[2]


def _stamp_module():  # console/scripts is not a package: load the script the Makefile runs
    spec = importlib.util.spec_from_file_location("stamp", ROOT / "console/scripts/stamp.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_bundle_is_built_from_the_committed_sources() -> None:
    stamp = _stamp_module()
    built_from = (DIST / "SOURCE").read_text().strip()
    assert built_from == stamp.fingerprint(), (
        "console/ changed since api/console_dist was built: run `make console` and commit it"
    )


def _app(engine: Engine) -> FastAPI:
    async def connect() -> Client:
        raise AssertionError("serving the console never needs Temporal")

    return create_app(ApiDeps(engine=engine, connect_temporal=connect, task_queue="unused"))


async def _client(engine: Engine) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=_app(engine)), base_url="http://t")


async def test_the_console_is_served_at_the_root_and_at_its_own_routes(engine: Engine) -> None:
    async with await _client(engine) as client:
        for path in ("/", "/workflows", "/runs/run_123", "/workflows/wf_1/runs"):
            page = await client.get(path)
            assert page.status_code == 200, path
            assert page.headers["content-type"].startswith("text/html")
            assert page.headers["cache-control"] == "no-cache"
            assert "<title>Relay console</title>" in page.text
        script = re.search(r'src="(/assets/[^"]+\.js)"', page.text)
        assert script, page.text
        asset = await client.get(script.group(1))
        assert asset.status_code == 200
        assert asset.headers["content-type"].startswith("text/javascript")
        assert "immutable" in asset.headers["cache-control"]
        missing = await client.get("/assets/nothing-here.js")
        assert missing.status_code == 404


async def test_the_api_answers_its_own_paths_as_before(engine: Engine) -> None:
    async with await _client(engine) as client:
        unknown = await client.get("/v1/no-such-thing")
        assert unknown.status_code == 404
        assert unknown.headers["content-type"] == "application/problem+json"
        assert (await client.post("/v1/no-such-thing")).status_code == 404
        assert (await client.post("/workflows")).status_code == 404
        assert (await client.post("/v1/runs/run_1")).status_code == 405  # GET-only route
        assert (await client.get("/v1/workflows")).status_code == 401
        assert (await client.get("/healthz")).json() == {"status": "ok"}
        assert "swagger" in (await client.get("/docs")).text.lower()
        paths = (await client.get("/openapi.json")).json()["paths"]
        assert not [
            p for p in paths if not p.startswith(("/v1", "/healthz", "/readyz", "/metrics"))
        ]
