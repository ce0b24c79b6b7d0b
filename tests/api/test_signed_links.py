"""The export link emailed to a person works without an API key, and only as signed: a link
changed in any part, or followed after its expiry, is 403 (SPEC §7)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from api.deps import ApiDeps
from storage.signed_links import signature
from tests.api.conftest import Stack, api_client, finished, new_tenant, problem
from tests.helpers.peers import SmtpSink
from tests.helpers.temporal import relay_worker

LINK_KEY = b"test-link-key"
REPORT = {
    "name": "Lead report",
    "trigger": {"type": "event", "event": "report.requested"},
    "steps": [
        {"id": "export", "type": "export", "record_type": "lead",
         "email": {"to": "{{ email }}", "subject": "Lead report"}},
    ],
}  # fmt: skip


@pytest.fixture
async def linked(dev_env: WorkflowEnvironment, engine: Engine) -> AsyncIterator[Stack]:
    """The stack, with the worker and the API sharing a link-signing key."""
    tenant_id, key = new_tenant(engine)
    with SmtpSink() as smtp:
        async with relay_worker(
            dev_env.client, engine, smtp_url=smtp.url(), link_key=LINK_KEY
        ) as worker:

            async def connect() -> Client:
                return dev_env.client

            deps = ApiDeps(
                engine=engine,
                connect_temporal=connect,
                task_queue=worker.task_queue,
                link_key=LINK_KEY,
            )
            app = create_app(deps)
            async with api_client(app, key) as api:
                yield Stack(api, dev_env.client, smtp, engine, tenant_id, app)


async def emailed_link(stack: Stack) -> str:
    await stack.api.post("/v1/records/lead", json={"id": "l1", "data": {"name": "Ann"}})
    await stack.create_active(REPORT)
    sent = await stack.api.post(
        "/v1/events", json={"type": "report.requested", "data": {"email": "ann@acme.com"}}
    )
    run = await stack.wait_run(sent.json()["runs"][0]["id"], finished)
    assert run["status"] == "completed", run
    assert run["steps"][0]["output"]["link_expires_at"]
    [email] = stack.smtp.messages
    text = email.message.get_content()
    assert "no sign-in needed" in text
    match = re.search(r"https?://\S+/v1/exports/\S+", text)
    assert match, text
    parts = urlsplit(match.group())
    return f"{parts.path}?{parts.query}"


async def test_the_emailed_link_downloads_without_a_key(linked: Stack) -> None:
    link = await emailed_link(linked)
    async with linked.api_as(None) as anyone:
        download = await anyone.get(link)
        assert download.status_code == 200, download.text
        assert download.text.startswith("id,name\r\nl1,Ann")


async def test_a_tampered_or_expired_link_is_403(linked: Stack) -> None:
    link = await emailed_link(linked)
    path, _, query = link.partition("?")
    params = {k: v[0] for k, v in parse_qs(query).items()}
    export_id = path.split("/")[3]
    later = {**params, "expires": str(int(params["expires"]) + 86400)}
    flipped = params["signature"][:-1] + ("0" if params["signature"][-1] != "0" else "1")
    expired_at = int(datetime.now(UTC).timestamp()) - 1
    expired = {
        "expires": str(expired_at),
        "signature": signature(LINK_KEY, "export", linked.tenant_id, export_id, expired_at),
    }
    async with linked.api_as(None) as anyone:
        for bad in (
            f"{path}?{urlencode(later)}",  # the expiry pushed out
            f"{path}?{urlencode({**params, 'signature': flipped})}",
            f"/v1/exports/exp_other/file?{query}",  # another export, same signature
            f"{path}?{urlencode(expired)}",  # correctly signed, but past its expiry
        ):
            problem(await anyone.get(bad), 403)
        problem(await anyone.get(path.replace("/file", "/download")), 401)
