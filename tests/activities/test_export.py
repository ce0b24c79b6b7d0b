"""The export action on the real database: the CSV of the matching records, stored once per
idempotency key, its link emailed once through the real SMTP path however often it is retried."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment, WorkflowEnvironment

from activities.export import Exports
from activities.http import http_session
from storage.db import session_scope
from storage.exports import get_export
from storage.models import Export
from storage.records import create_record
from tests.helpers.db import deliveries_of, steps_of
from tests.helpers.peers import SmtpSink
from tests.helpers.temporal import loopback_actions, relay_worker, run_input, start_run
from workflows.contract import ActionInput, RunRef, StepRecord

FAST_RETRY = {"initial_interval": 0.05, "max_interval": 0.1}


class FlakySmtpSink(SmtpSink):
    """Answers the first message's DATA with a temporary failure, then accepts."""

    def __init__(self) -> None:
        super().__init__()
        self.refusals = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refusals == 0:
            self.refusals += 1
            return "451 try again later"
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def tenant() -> str:
    return f"t_{uuid.uuid4().hex[:8]}"


@pytest.fixture
def smtp() -> Any:
    with SmtpSink() as sink:
        yield sink


@pytest.fixture
async def exports(engine: Engine, smtp: SmtpSink) -> AsyncIterator[Exports]:
    async with http_session() as http:
        actions = loopback_actions(engine, http, smtp_url=smtp.url())
        yield Exports(engine, actions, "https://relay.example.com/")


def seed(engine: Engine, tenant: str, record_type: str, records: dict[str, dict[str, Any]]) -> None:
    with session_scope(engine) as session:
        for record_id, data in records.items():
            create_record(session, tenant, record_type, record_id, data)


def export_input(tenant: str, config: dict[str, Any]) -> ActionInput:
    run = RunRef(tenant, f"run_{uuid.uuid4().hex[:12]}", "wf_1", 1)
    return ActionInput(run, StepRecord("x", "x", "export", "running"), config, max_attempts=5)


def stored(engine: Engine, tenant: str, export_id: str) -> Export:
    with session_scope(engine) as session:
        export = get_export(session, tenant, export_id)
        assert export is not None
        session.expunge(export)
        return export


async def test_an_export_step_in_a_run_stores_the_csv_and_emails_its_link_once(
    time_env: WorkflowEnvironment, engine: Engine, tenant: str
) -> None:
    seed(engine, tenant, "lead", {
        "l1": {"name": "Ann", "status": "qualified", "score": 90,
               "note": '=HYPERLINK("http://evil.example")'},
        "l2": {"name": 'Bo, "the" Builder', "status": "qualified", "score": -5,
               "note": "@SUM(A1)", "owner": {"email": "o@acme.com"}},
        "l3": {"name": "Cy", "status": "new", "score": 50},
    })  # fmt: skip
    seed(engine, tenant, "contact", {"c1": {"name": "Ann", "status": "qualified"}})
    seed(engine, f"{tenant}_other", "lead", {"l9": {"name": "Zed", "status": "qualified"}})
    document = {
        "name": "Qualified leads report",
        "trigger": {"type": "event", "event": "report.requested"},
        "steps": [
            {"id": "export", "type": "enqueue_export", "entity_type": "lead",
             "filters": {"status": "{{ status }}"}, "sort": "name",
             "columns": ["id", "name", "score", "note", "owner.email"],
             "email": {"to": "{{ requested_by }}", "subject": "Your {{ status }} leads"},
             "retry": FAST_RETRY},
        ],
    }  # fmt: skip
    with FlakySmtpSink() as smtp:
        async with relay_worker(time_env.client, engine, smtp_url=smtp.url()) as worker:
            data = {"status": "qualified", "requested_by": "ann@acme.com"}
            handle = await start_run(
                time_env.client, worker, run_input(document, data, tenant=tenant)
            )
            result = await handle.result()

    assert result.status == "completed"
    step = steps_of(engine, handle.id)["export"]
    assert (step.status, step.attempts) == ("completed", 2)  # the first email was refused
    export_id = step.output["export_id"]
    assert step.output == {
        "export_id": export_id,
        "rows": 2,
        "url": f"http://localhost:8000/v1/exports/{export_id}/download",
    }
    export = stored(engine, tenant, export_id)
    assert export.content == (
        "id,name,score,note,owner.email\r\n"
        'l1,Ann,90,"\'=HYPERLINK(""http://evil.example"")",\r\n'
        'l2,"Bo, ""the"" Builder",-5,\'@SUM(A1),o@acme.com\r\n'
    )
    assert (export.record_type, export.filter, export.row_count) == (
        "lead", {"status": "qualified"}, 2,
    )  # fmt: skip
    with session_scope(engine) as session:
        made = session.exec(select(Export).where(Export.run_id == handle.id)).all()
    assert len(made) == 1  # the retried step found the export it had made

    [email] = smtp.messages
    assert email.rcpt_tos == ["ann@acme.com"]
    assert email.message["Subject"] == "Your qualified leads"
    assert step.output["url"] in email.message.get_content()
    assert "2 lead records" in email.message.get_content()
    [delivery] = deliveries_of(engine, handle.id)
    assert (delivery.channel, delivery.recipient, delivery.status) == (
        "email", "a***@acme.com", "delivered",
    )  # fmt: skip


async def test_a_repeated_attempt_returns_the_same_export_and_sends_no_second_email(
    engine: Engine, tenant: str, exports: Exports, smtp: SmtpSink
) -> None:
    seed(engine, tenant, "deal", {
        "d1": {"stage": "won", "amount": 1200.5, "tags": ["eu"], "closed": True},
        "d2": {"stage": "won", "owner": {"name": "Bo"}, "closed": None},
    })  # fmt: skip
    step = export_input(tenant, {"record_type": "deal", "filter": {"stage": "won"}, "sort": "id",
                                 "email_to": "bo@acme.com"})  # fmt: skip
    env = ActivityEnvironment()
    first = await env.run(exports.export, step)
    again = await env.run(exports.export, step)

    assert first == again
    assert first["url"] == f"https://relay.example.com/v1/exports/{first['export_id']}/download"
    # Default columns: id, then the data keys in order; lists and objects as JSON.
    assert stored(engine, tenant, first["export_id"]).content == (
        "id,amount,closed,owner,stage,tags\r\n"
        'd1,1200.5,true,,won,"[""eu""]"\r\n'
        'd2,,,"{""name"":""Bo""}",won,\r\n'
    )
    assert len(smtp.messages) == 1
    assert smtp.messages[0].message["Subject"] == "Your deal export is ready"


async def test_an_export_stops_at_its_limit_and_says_it_was_truncated(
    engine: Engine, tenant: str, exports: Exports
) -> None:
    seed(engine, tenant, "task", {f"t{i}": {"n": i} for i in range(3)})
    step = export_input(tenant, {"record_type": "task", "sort": "-n", "limit": 2})
    output = await ActivityEnvironment().run(exports.export, step)
    assert (output["rows"], output["truncated"]) == (2, True)
    export = stored(engine, tenant, output["export_id"])
    assert export.content == "id,n\r\nt2,2\r\nt1,1\r\n"
    assert export.truncated


@pytest.mark.parametrize(
    ("config", "kind", "message"),
    [
        (
            {"record_type": "lead", "filter": {"score": {"$gte": ["7"]}}},
            "invalid_config",
            "filter.score.$gte: $gte takes a number or a string",
        ),
        (
            {"record_type": "lead", "filter": {"created_at": {"$gte": "last week"}}},
            "invalid_filter",
            "filter.created_at",
        ),
        ({"filter": {}}, "invalid_config", "record_type: export needs 'record_type'"),
    ],
)
async def test_a_bad_rendered_configuration_is_a_permanent_failure(
    engine: Engine, tenant: str, exports: Exports, config: dict[str, Any], kind: str, message: str
) -> None:
    with pytest.raises(ApplicationError) as caught:
        await ActivityEnvironment().run(exports.export, export_input(tenant, config))
    assert (caught.value.type, caught.value.non_retryable) == (kind, True)
    assert message in str(caught.value)
