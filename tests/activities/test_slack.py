"""``slack`` steps post to an incoming-webhook URL (a Slack-speaking peer on loopback)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from tests.helpers.db import deliveries_of, steps_of
from tests.helpers.peers import RecordingHttpServer
from tests.helpers.temporal import relay_worker, run_input, start_run

FAST = {"initial_interval": 0.05, "max_interval": 0.1}
SLACK_OK = {"raw": b"ok", "headers": {"Content-Type": "text/html"}}


@pytest.fixture
def slack() -> Iterator[RecordingHttpServer]:
    with RecordingHttpServer() as server:
        yield server


async def run_step(
    time_env: WorkflowEnvironment, engine: Engine, step: dict[str, Any], data: dict[str, Any]
) -> str:
    document = {"name": "Notify", "steps": [step]}
    async with relay_worker(time_env.client, engine) as worker:
        handle = await start_run(time_env.client, worker, run_input(document, data))
        await handle.result()
    return handle.id


async def test_text_and_blocks_are_posted_as_slack_json(
    time_env: WorkflowEnvironment, engine: Engine, slack: RecordingHttpServer
) -> None:
    slack.script(200, **SLACK_OK)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*{{ company }}* won"}}]
    step = {"id": "tell", "type": "slack_message", "webhook_url": "{{ hook }}",
            "message": "Deal won: {{ company }}", "blocks": blocks}  # fmt: skip

    run_id = await run_step(time_env, engine, step, {"hook": slack.url("/services/T/B/X"),
                                                     "company": "Acme"})  # fmt: skip

    [request] = slack.requests
    assert (request.method, request.path) == ("POST", "/services/T/B/X")
    assert request.headers["content-type"] == "application/json"
    assert request.json == {
        "text": "Deal won: Acme",
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*Acme* won"}}],
    }
    assert steps_of(engine, run_id)["tell"].output == {"status": 200, "response": "ok"}
    [delivery] = deliveries_of(engine, run_id)
    assert (delivery.channel, delivery.recipient) == ("slack", "127.0.0.1")


async def test_invalid_payload_is_permanent_with_slacks_error_code(
    time_env: WorkflowEnvironment, engine: Engine, slack: RecordingHttpServer
) -> None:
    slack.script(400, raw=b"invalid_payload", headers={"Content-Type": "text/html"})
    step = {"id": "tell", "type": "slack", "url": "{{ hook }}", "text": "x", "retry": FAST}

    run_id = await run_step(time_env, engine, step, {"hook": slack.url()})

    assert len(slack.requests) == 1
    assert steps_of(engine, run_id)["tell"].error == {
        "type": "slack_invalid_payload",
        "message": "Slack answered HTTP 400 invalid_payload",
        "retryable": False,
    }


@pytest.mark.parametrize("status", [429, 500, 503])
async def test_rate_limits_and_server_errors_are_retried(
    time_env: WorkflowEnvironment, engine: Engine, slack: RecordingHttpServer, status: int
) -> None:
    slack.script(status, raw=b"rate_limited", headers={"Retry-After": "1"})
    slack.script(200, **SLACK_OK)
    step = {"id": "tell", "type": "slack", "url": "{{ hook }}", "text": "x", "retry": FAST}

    run_id = await run_step(time_env, engine, step, {"hook": slack.url()})

    assert len(slack.requests) == 2
    assert len({r.headers["idempotency-key"] for r in slack.requests}) == 1
    assert steps_of(engine, run_id)["tell"].status == "completed"


async def test_slack_urls_pass_the_same_outbound_policy(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    step = {"id": "tell", "type": "slack", "url": "http://169.254.169.254/latest", "text": "x"}

    run_id = await run_step(time_env, engine, step, {})

    error = steps_of(engine, run_id)["tell"].error
    assert error is not None
    assert (error["type"], error["retryable"]) == ("blocked_destination", False)
