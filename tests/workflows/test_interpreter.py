"""The interpreter on the time-skipping server, with real activities and real peers."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from activities.sms import TwilioSmsTransport
from tests.helpers.db import deliveries_of, run_row, steps_of
from tests.helpers.peers import FakeTwilioApi, RecordingHttpServer, SmtpSink
from tests.helpers.temporal import relay_worker, run_input, start_run

FAST_RETRY = {"initial_interval": 0.05, "max_interval": 0.1}


async def test_steps_run_in_order_and_email_reaches_smtp(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Welcome",
        "trigger": {"type": "event", "event": "contact.created"},
        "steps": [
            {"id": "hello", "type": "send_email", "to": "{{ email }}",
             "subject": "Welcome, {{ name | default('there') }}", "body": "Hi {{ name }}!"},
            {"id": "later", "type": "wait", "duration": "2d"},
            {"id": "again", "type": "email", "to": "{{ email }}", "subject": "Two days in",
             "message": "Still here, {{ name }}?"},
        ],
    }  # fmt: skip
    with SmtpSink() as smtp:
        async with relay_worker(time_env.client, engine, smtp_url=smtp.url()) as worker:
            handle = await start_run(
                time_env.client,
                worker,
                run_input(document, {"email": "ann@example.com", "name": "Ann"}),
            )
            result = await handle.result()
    assert result.status == "completed"
    assert [m.message["Subject"] for m in smtp.messages] == ["Welcome, Ann", "Two days in"]
    assert smtp.messages[0].rcpt_tos == ["ann@example.com"]
    assert "Still here, Ann?" in smtp.messages[1].message.get_content()
    steps = steps_of(engine, handle.id)
    assert [s.status for s in steps.values()] == ["completed", "completed", "completed"]
    assert steps["hello"].attempts == 1
    assert run_row(engine, handle.id).status == "completed"  # type: ignore[union-attr]
    assert len(deliveries_of(engine, handle.id)) == 2


async def test_reminder_24h_before_start_skips_the_wait_in_virtual_time(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    # The test server's clock runs ahead of the wall clock as earlier tests skip time.
    start = (await time_env.get_current_time() + timedelta(days=3)).isoformat()
    document = {
        "name": "Reminder",
        "trigger": {"type": "event", "event": "booking.created"},
        "steps": [
            {"id": "wait", "type": "wait", "until": "{{ start_time }}", "offset": "-24h",
             "if_past": "skip"},
            {"id": "remind", "type": "send_email", "to": "{{ invitee_email }}",
             "subject": "See you tomorrow", "body": "Your call is at {{ start_time }}."},
        ],
    }  # fmt: skip
    with SmtpSink() as smtp:
        async with relay_worker(time_env.client, engine, smtp_url=smtp.url()) as worker:
            began = time.monotonic()
            handle = await start_run(
                time_env.client,
                worker,
                run_input(document, {"start_time": start, "invitee_email": "bo@example.com"}),
            )
            result = await handle.result()
            wall = time.monotonic() - began
    assert result.status == "completed"
    assert len(smtp.messages) == 1
    assert wall < 30, f"two virtual days took {wall:.2f}s of wall time"
    wait = steps_of(engine, handle.id)["wait"]
    assert wait.status == "completed"
    assert wait.output["until"].startswith(
        (datetime.fromisoformat(start) - timedelta(hours=24)).date().isoformat()
    )


async def test_until_in_the_past_with_if_past_skip_ends_the_run_skipped(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Late reminder",
        "steps": [
            {"id": "wait", "type": "wait", "until": "{{ start_time }}", "offset": "-24h",
             "if_past": "skip"},
            {"id": "remind", "type": "send_email", "to": "x@example.com", "subject": "s", "body": "b"},
        ],
    }  # fmt: skip
    with SmtpSink() as smtp:
        async with relay_worker(time_env.client, engine, smtp_url=smtp.url()) as worker:
            handle = await start_run(
                time_env.client, worker, run_input(document, {"start_time": "2020-01-01T10:00:00Z"})
            )
            result = await handle.result()
    assert result.status == "skipped"
    assert smtp.messages == []
    assert steps_of(engine, handle.id)["wait"].status == "skipped"
    assert run_row(engine, handle.id).status == "skipped"  # type: ignore[union-attr]


async def test_until_in_the_past_continues_by_default(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Continue",
        "steps": [
            {"id": "wait", "type": "wait", "until": "2020-01-01T00:00:00Z"},
            {
                "id": "ping",
                "type": "http_request",
                "url": "{{ url }}",
                "method": "POST",
                "body": {},
            },
        ],
    }
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            handle = await start_run(
                time_env.client, worker, run_input(document, {"url": peer.url("/x")})
            )
            assert (await handle.result()).status == "completed"
    assert len(peer.requests) == 1


async def test_condition_branches_follow_true_and_false_edges(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Route leads",
        "nodes": [
            {"id": "check", "type": "condition",
             "condition": {"field": "lead.score", "operator": "gte", "value": 80}},
            {"id": "hot", "type": "http_request", "url": "{{ url }}/hot", "body": {"id": "{{ lead.id }}"}},
            {"id": "cold", "type": "http_request", "url": "{{ url }}/cold", "body": {"id": "{{ lead.id }}"}},
        ],
        "edges": [
            {"from": "trigger", "to": "check"},
            {"from": "check", "to": "hot", "when": "true"},
            {"from": "check", "to": "cold", "when": "false"},
        ],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            for score, lead_id in ((95, "L1"), (10, "L2")):
                data = {"url": peer.base_url, "lead": {"id": lead_id, "score": score}}
                handle = await start_run(time_env.client, worker, run_input(document, data))
                result = await handle.result()
                assert result.path == ["check", "hot" if score >= 80 else "cold"]
    assert [(r.path, r.json) for r in peer.requests] == [
        ("/hot", {"id": "L1"}),
        ("/cold", {"id": "L2"}),
    ]


async def test_step_whose_when_is_false_is_skipped(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Enterprise only",
        "steps": [
            {"id": "vip", "type": "http_request", "url": "{{ url }}",
             "when": [{"operator": "AND", "rules": [
                 {"field": "invitee_domain", "operator": "equals", "value": "enterprise.com"}]}]},
            {"id": "all", "type": "http_request", "url": "{{ url }}"},
        ],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        async with relay_worker(time_env.client, engine) as worker:
            data = {"url": peer.url("/hook"), "invitee_domain": "small.io"}
            handle = await start_run(time_env.client, worker, run_input(document, data))
            assert (await handle.result()).status == "completed"
    assert len(peer.requests) == 1
    steps = steps_of(engine, handle.id)
    assert steps["vip"].status == "skipped"
    assert steps["all"].status == "completed"


async def test_http_500_is_retried_until_it_succeeds(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Flaky receiver",
        "steps": [{"id": "hook", "type": "webhook", "url": "{{ url }}", "retry": FAST_RETRY}],
    }
    with RecordingHttpServer() as peer:
        peer.script(500)
        peer.script(500)
        async with relay_worker(time_env.client, engine) as worker:
            handle = await start_run(
                time_env.client, worker, run_input(document, {"url": peer.url()})
            )
            assert (await handle.result()).status == "completed"
    assert len(peer.requests) == 3
    assert len({r.headers["idempotency-key"] for r in peer.requests}) == 1
    step = steps_of(engine, handle.id)["hook"]
    assert (step.status, step.attempts) == ("completed", 3)
    assert step.output["status"] == 200


async def test_http_404_is_not_retried_and_on_error_stop_fails_the_run(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Strict",
        "steps": [
            {"id": "hook", "type": "http_request", "url": "{{ url }}", "on_error": "stop"},
            {"id": "after", "type": "http_request", "url": "{{ url }}"},
        ],
    }
    with RecordingHttpServer() as peer:
        peer.script(404)
        async with relay_worker(time_env.client, engine) as worker:
            handle = await start_run(
                time_env.client, worker, run_input(document, {"url": peer.url()})
            )
            result = await handle.result()
    assert result.status == "failed"
    assert len(peer.requests) == 1
    step = steps_of(engine, handle.id)["hook"]
    assert step.status == "failed"
    assert step.error == {"type": "http_404", "message": step.error["message"], "retryable": False}
    assert "after" not in steps_of(engine, handle.id)
    assert run_row(engine, handle.id).error["node_id"] == "hook"  # type: ignore[index,union-attr]


async def test_failed_step_continues_by_default(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Lenient",
        "steps": [
            {
                "id": "bad",
                "type": "http_request",
                "url": "{{ url }}",
                "retry": {"max_attempts": 2, **FAST_RETRY},
            },
            {"id": "after", "type": "http_request", "url": "{{ url }}"},
        ],
    }
    with RecordingHttpServer() as peer:
        peer.script(503)
        peer.script(503)
        async with relay_worker(time_env.client, engine) as worker:
            handle = await start_run(
                time_env.client, worker, run_input(document, {"url": peer.url()})
            )
            assert (await handle.result()).status == "completed"
    steps = steps_of(engine, handle.id)
    assert (steps["bad"].status, steps["bad"].attempts) == ("failed", 2)
    assert steps["bad"].error["retryable"] is True  # type: ignore[index]
    assert steps["after"].status == "completed"


async def test_timeout_per_step_fails_a_slow_receiver(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Slow",
        "steps": [{"id": "slow", "type": "http_request", "url": "{{ url }}", "timeout": "1s",
                   "retry": {"max_attempts": 1}}],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        peer.script(200, delay=3)
        async with relay_worker(time_env.client, engine) as worker:
            handle = await start_run(
                time_env.client, worker, run_input(document, {"url": peer.url()})
            )
            assert (await handle.result()).status == "completed"
    step = steps_of(engine, handle.id)["slow"]
    assert step.status == "failed"
    assert "timeout" in step.error["type"].lower() or "timeout" in step.error["message"].lower()  # type: ignore[index]


async def test_sms_goes_through_the_twilio_sdk_to_a_twilio_speaking_endpoint(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Text the invitee",
        "steps": [{"id": "text", "type": "sms", "to": "{{ invitee_phone }}",
                   "message": "Hi {{ invitee_name }}, see you soon"}],
    }  # fmt: skip
    with FakeTwilioApi() as twilio:
        sms = TwilioSmsTransport(
            twilio.account_sid, twilio.auth_token, "+15550000000", twilio.base_url
        )
        async with relay_worker(time_env.client, engine, sms=sms) as worker:
            data = {"invitee_phone": "+14155557654", "invitee_name": "Ann"}
            handle = await start_run(time_env.client, worker, run_input(document, data))
            assert (await handle.result()).status == "completed"
    assert [(m["To"], m["Body"]) for m in twilio.messages] == [
        ("+14155557654", "Hi Ann, see you soon")
    ]
    step = steps_of(engine, handle.id)["text"]
    assert step.output["transport"] == "twilio"
    assert step.output["sid"].startswith("SM")
    assert deliveries_of(engine, handle.id)[0].recipient == "+1415***54"
