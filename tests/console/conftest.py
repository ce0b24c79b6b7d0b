"""The console in a real browser: Debian's Chromium driven by Playwright against the real stack
(the API app served by uvicorn on a loopback port, a real worker on the Temporal dev server, the
test database, an SMTP sink).

Nothing downloads a browser: Playwright launches ``/usr/bin/chromium`` (``apt-get install
chromium``; ``RELAY_CHROMIUM`` points elsewhere). Without it these tests skip, unless
``RELAY_REQUIRE_BROWSER=1`` (CI) makes that a failure. Screenshots of each page go to
``RELAY_CONSOLE_SCREENSHOTS`` when it is set.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.deps import ApiDeps
from tests.api.conftest import new_tenant
from tests.helpers.peers import LOOPBACK, SmtpSink
from tests.helpers.temporal import relay_worker
from worker.simulator import Simulator

CHROMIUM = Path(os.environ.get("RELAY_CHROMIUM", "/usr/bin/chromium"))
SHOTS = os.environ.get("RELAY_CONSOLE_SCREENSHOTS")

try:
    from playwright.async_api import Browser, Page, async_playwright, expect
except ImportError:  # pragma: no cover - the dev extra installs it
    async_playwright = None  # type: ignore[assignment]


def _unavailable() -> str | None:
    if async_playwright is None:
        return "playwright is not installed (pip install -e '.[dev]')"
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (apt-get install -y chromium)"
    return None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    reason = _unavailable()
    if reason is None:
        return
    if os.environ.get("RELAY_REQUIRE_BROWSER"):
        raise pytest.UsageError(f"browser tests required but {reason}")
    for item in items:
        if "browser" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            # As root (containers, CI) Chromium refuses its sandbox; the pages are our own.
            args=["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
        )
        yield browser
        await browser.close()


@dataclass
class Console:
    """The running stack: its URL, the tenant's key, an API client with that key."""

    url: str
    key: str
    api: httpx.AsyncClient
    smtp: SmtpSink
    engine: Engine
    deps: ApiDeps
    tenant_id: str

    async def create(self, document: dict[str, Any], *, active: bool = True) -> dict[str, Any]:
        created = await self.api.post("/v1/workflows", json=document)
        assert created.status_code == 201, created.text
        if not active:
            body: dict[str, Any] = created.json()
            return body
        activated = await self.api.post(f"/v1/workflows/{created.json()['id']}/activate")
        assert activated.status_code == 200, activated.text
        body = activated.json()
        return body

    async def send(self, event_type: str, data: dict[str, Any], **extra: Any) -> list[str]:
        """Posts an event; the ids of the runs it started."""
        response = await self.api.post(
            "/v1/events", json={"type": event_type, "data": data, **extra}
        )
        assert response.status_code == 202, response.text
        return [run["id"] for run in response.json()["runs"]]

    async def wait_run(
        self, run_id: str, until: Callable[[dict[str, Any]], bool], timeout: float = 20
    ) -> dict[str, Any]:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            run: dict[str, Any] = (await self.api.get(f"/v1/runs/{run_id}")).json()
            if until(run):
                return run
            assert asyncio.get_running_loop().time() < deadline, f"run never got there: {run}"
            await asyncio.sleep(0.1)


def ended(run: dict[str, Any]) -> bool:
    return run.get("status") not in ("running", "waiting")


@pytest.fixture(scope="session")
async def simulator() -> AsyncIterator[Simulator]:
    """The builder's try-it panel simulates drafts (a time-skipping test server, started on
    first use)."""
    simulator = Simulator(max_drift=timedelta(days=100_000), refresh_early=False)
    yield simulator
    await simulator.close()


@pytest.fixture
async def console(
    dev_env: WorkflowEnvironment, engine: Engine, simulator: Simulator
) -> AsyncIterator[Console]:
    tenant_id, key = new_tenant(engine, "Console Co")
    with SmtpSink() as smtp:
        async with relay_worker(dev_env.client, engine, smtp_url=smtp.url()) as worker:

            async def connect() -> Client:
                return dev_env.client

            deps = ApiDeps(
                engine=engine,
                connect_temporal=connect,
                task_queue=worker.task_queue,
                simulator=simulator,
            )
            config = uvicorn.Config(
                create_app(deps), host=LOOPBACK, port=0, log_level="warning", lifespan="off"
            )
            server = uvicorn.Server(config)
            serving = asyncio.create_task(server.serve())
            while not server.started:
                assert not serving.done(), "uvicorn did not start"
                await asyncio.sleep(0.02)
            port = server.servers[0].sockets[0].getsockname()[1]
            url = f"http://{LOOPBACK}:{port}"
            headers = {"Authorization": f"Bearer {key}"}
            try:
                async with httpx.AsyncClient(base_url=url, headers=headers, trust_env=False) as api:
                    yield Console(url, key, api, smtp, engine, deps, tenant_id)
                    await _end_open_runs(api)
            finally:
                server.should_exit = True
                await serving


async def _end_open_runs(api: httpx.AsyncClient) -> None:
    """Waiting runs would outlive the test's worker: cancel them while it still runs."""
    for status in ("waiting", "running"):
        runs = (await api.get("/v1/runs", params={"status": status, "limit": 200})).json()
        for run in runs["items"]:
            await api.post(f"/v1/runs/{run['id']}/cancel")


@pytest.fixture
async def page(
    browser: Browser, console: Console, request: pytest.FixtureRequest
) -> AsyncIterator[Page]:
    context = await browser.new_context(
        base_url=console.url, viewport={"width": 1280, "height": 860}
    )
    page = await context.new_page()
    page.set_default_timeout(10_000)
    expect.set_options(timeout=10_000)
    yield page
    await context.close()


async def shoot(page: Page, name: str) -> None:
    """A full-page screenshot, kept when ``RELAY_CONSOLE_SCREENSHOTS`` names a directory
    (Playwright creates it)."""
    if SHOTS:
        file = Path(SHOTS) / (re.sub(r"\W+", "-", name) + ".png")
        await page.screenshot(path=str(file), full_page=True)


async def save(page: Page, message: str = "") -> None:
    """The builder's Save: it asks for the version's message (optional), then saves."""
    await page.get_by_role("button", name="Save", exact=True).click()
    dialog = page.get_by_role("dialog", name="Save a version")
    if message:
        await dialog.get_by_label("Message").fill(message)
    await dialog.get_by_role("button", name="Save version").click()
    await expect(dialog).to_have_count(0)


async def sign_in(page: Page, key: str) -> None:
    await page.goto("/")
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.get_by_role("heading", name="Workflows", level=1)).to_be_visible()
