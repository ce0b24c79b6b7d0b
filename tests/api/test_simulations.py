"""POST /v1/workflows/{id}/test and /bulk-test: simulations over HTTP, and live runs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from api.app import create_app
from api.deps import ApiDeps
from storage.models import WorkflowVersion
from tests.api.conftest import Stack, api_client, finished, new_tenant, problem
from worker.simulator import Simulator

WELCOME = {
    "name": "Welcome",
    "trigger": {"event": "user.signed_up", "entity": "{{ user_id }}",
                "sample": {"user_id": "u_s", "email": "sample@example.com"}},
    "steps": [
        {"id": "hi", "type": "send_email", "to": "{{ email }}", "subject": "Hi", "body": "Hello"},
        {"id": "reply", "type": "wait_for_event", "event": "user.replied", "timeout": "3d"},
        {"id": "tips", "type": "send_email", "to": "{{ email }}", "subject": "Tips", "body": "..."},
    ],
}  # fmt: skip
USER = {"user_id": "u_1", "email": "ann@example.com"}


@pytest.fixture(scope="module")
async def simulator() -> AsyncIterator[Simulator]:
    simulator = Simulator(max_drift=timedelta(days=100_000), refresh_early=False)
    yield simulator
    await simulator.close()


@pytest.fixture
async def api(engine: Engine, simulator: Simulator) -> AsyncIterator[Any]:
    async def no_temporal() -> Any:
        raise AssertionError("a simulation never talks to the real Temporal")

    deps = ApiDeps(
        engine=engine, connect_temporal=no_temporal, task_queue="unused", simulator=simulator
    )
    async with api_client(create_app(deps), new_tenant(engine)[1]) as client:
        yield client


async def create(api: Any, document: dict[str, Any]) -> str:
    response = await api.post("/v1/workflows", json=document)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_simulate_returns_the_path_the_timeline_and_the_content(api: Any) -> None:
    workflow_id = await create(api, WELCOME)
    response = await api.post(f"/v1/workflows/{workflow_id}/test", json={
        "mode": "simulate", "event": {"data": USER},
        "events": [{"at": "P1D", "type": "user.replied", "data": {"text": "thanks"}}],
    })  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["workflow_id"], body["version"], body["status"]) == (workflow_id, 1, "completed")
    assert body["path"] == ["hi", "reply", "tips"]
    assert [(s["node_id"], s["at"]) for s in body["steps"]] == [
        ("hi", "PT0S"),
        ("reply", "PT0S"),
        ("tips", "P1D"),
    ]
    assert body["steps"][0]["content"]["to"] == ["ann@example.com"]
    assert body["steps"][1]["output"]["data"] == {"text": "thanks"}
    assert body["trigger"] == {"type": "user.signed_up", "entity": "u_1", "data": USER}
    assert body["sample_data"] is False


async def test_without_an_event_the_triggers_sample_is_used(api: Any) -> None:
    workflow_id = await create(api, WELCOME)
    body = (await api.post(f"/v1/workflows/{workflow_id}/test", json={})).json()
    assert body["sample_data"] is True
    assert body["steps"][0]["content"]["to"] == ["sample@example.com"]
    assert [(s["node_id"], s["at"]) for s in body["steps"]][-1] == ("tips", "P3D")


async def test_without_an_event_or_a_sample_the_catalogs_schema_gives_the_data(api: Any) -> None:
    # A built-in entry: a lead.created event has a lead with an email.
    lead = await create(api, {
        "name": "Lead", "trigger": {"event": "lead.created"},
        "steps": [{"id": "hi", "type": "send_email", "to": "{{ lead.email }}", "subject": "Hi",
                   "body": "Hello"}],
    })  # fmt: skip
    body = (await api.post(f"/v1/workflows/{lead}/test", json={})).json()
    assert body["sample_data"] is True
    assert body["trigger"]["data"]["lead"]["email"] == body["steps"][0]["content"]["to"][0]
    assert "@" in body["steps"][0]["content"]["to"][0]
    # The tenant's own entry for its own type.
    schema = {"type": "object", "required": ["plan"], "properties": {"plan": {"enum": ["gold"]}}}
    created = await api.post("/v1/event-types", json={"type": "plan.chosen", "schema": schema})
    assert created.status_code == 201, created.text
    plan = await create(api, {
        "name": "Plan", "trigger": {"event": "plan.chosen"},
        "steps": [{"id": "gold", "type": "set", "values": {"plan": "{{ plan }}"}}],
    })  # fmt: skip
    body = (await api.post(f"/v1/workflows/{plan}/test", json={})).json()
    assert body["trigger"]["data"] == {"plan": "gold"}


async def test_bad_scripts_unknown_and_foreign_workflows_are_4xx(api: Any, engine: Engine) -> None:
    workflow_id = await create(api, WELCOME)
    bad = await api.post(
        f"/v1/workflows/{workflow_id}/test", json={"events": [{"at": "soon", "type": "x"}]}
    )
    assert problem(bad, 422)["errors"][0]["path"] == "events[0].at"
    live = await api.post(
        f"/v1/workflows/{workflow_id}/test", json={"mode": "live", "events": [{"type": "x"}]}
    )
    problem(live, 422)
    problem(await api.post("/v1/workflows/wf_nope/test", json={}), 404)
    async with api_client(api._transport.app, new_tenant(engine, "Globex")[1]) as other:
        problem(await other.post(f"/v1/workflows/{workflow_id}/test", json={}), 404)
        problem(
            await other.post("/v1/workflows/bulk-test", json={"workflow_ids": [workflow_id]}), 404
        )


async def test_bulk_test_simulates_several_workflows_against_one_event(api: Any) -> None:
    first = await create(api, WELCOME)
    second = await create(api, {**WELCOME, "name": "Short", "steps": WELCOME["steps"][:1]})
    response = await api.post(
        "/v1/workflows/bulk-test", json={"workflow_ids": [first, second], "event": {"data": USER}}
    )
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [(r["workflow_id"], r["path"]) for r in results] == [
        (first, ["hi", "reply", "tips"]),
        (second, ["hi"]),
    ]


async def test_a_custom_activity_on_its_own_queue_is_simulated_with_its_mocked_output(
    api: Any,
) -> None:
    workflow_id = await create(api, {**WELCOME, "steps": [
        {"id": "charge", "type": "activity", "name": "charge_card", "task_queue": "payments",
         "input": {"customer": "{{ user_id }}", "amount": 42}},
        {"id": "hi", "type": "send_email", "to": "{{ email }}", "subject": "Receipt",
         "body": "{{ steps.charge.output.charge_id }}"},
    ]})  # fmt: skip
    response = await api.post(f"/v1/workflows/{workflow_id}/test", json={
        "event": {"data": USER}, "outputs": {"charge": {"charge_id": "ch_9"}},
    })  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["path"]) == ("completed", ["charge", "hi"])
    charge, receipt = body["steps"]
    assert charge["content"] == {
        "activity": "charge_card",
        "input": {"customer": "u_1", "amount": 42},
    }
    assert charge["output"] == {"charge_id": "ch_9"}
    assert receipt["content"]["text"] == "ch_9"


async def test_without_a_simulator_simulation_is_unavailable(engine: Engine) -> None:
    deps = ApiDeps(engine=engine, connect_temporal=None, task_queue="unused")  # type: ignore[arg-type]
    async with api_client(create_app(deps), new_tenant(engine)[1]) as api:
        workflow_id = await create(api, WELCOME)
        problem(await api.post(f"/v1/workflows/{workflow_id}/test", json={}), 503)


async def test_live_mode_runs_for_real(stack: Stack) -> None:
    created = await stack.api.post("/v1/workflows", json={**WELCOME, "steps": WELCOME["steps"][:1]})
    workflow_id = created.json()["id"]
    response = await stack.api.post(
        f"/v1/workflows/{workflow_id}/test", json={"mode": "live", "event": {"data": USER}}
    )
    assert response.status_code == 202, response.text
    run = await stack.wait_run(response.json()["id"], finished)
    assert run["status"] == "completed"
    assert [m.rcpt_tos for m in stack.smtp.messages] == [["ann@example.com"]]


async def test_activation_refuses_a_definition_with_errors(api: Any, engine: Engine) -> None:
    workflow_id = await create(api, WELCOME)
    # Stored before a rule it breaks existed: activation validates again and refuses it.
    with Session(engine) as session:
        version = session.exec(
            select(WorkflowVersion).where(WorkflowVersion.workflow_id == workflow_id)
        ).one()
        version.source = {**WELCOME, "trigger": {"event": "user.signed_up", "delay": "-1h"}}
        session.add(version)
        session.commit()
    body = problem(await api.post(f"/v1/workflows/{workflow_id}/activate"), 422)
    assert [e["path"] for e in body["errors"]] == ["trigger.delay"]


async def test_a_draft_is_simulated_without_being_stored(api: Any) -> None:
    response = await api.post(
        "/v1/workflows/simulate",
        json={"definition": WELCOME, "event": {"data": USER},
              "events": [{"at": "P1D", "type": "user.replied", "data": {"text": "thanks"}}]},
    )  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["workflow_id"], body["status"], body["path"]) == (
        "draft", "completed", ["hi", "reply", "tips"],
    )  # fmt: skip
    assert body["steps"][0]["content"]["to"] == ["ann@example.com"]
    assert (await api.get("/v1/workflows")).json()["items"] == []

    broken = await api.post(
        "/v1/workflows/simulate", json={"definition": {**WELCOME, "steps": [{"type": "wait"}]}}
    )
    assert [e["path"] for e in problem(broken, 422)["errors"]] == ["steps[0].duration"]


async def test_a_mocked_failure_fails_its_step_in_a_draft_or_a_stored_workflow(api: Any) -> None:
    failing = {**WELCOME, "settings": {"on_error": "stop"}}
    response = await api.post("/v1/workflows/simulate", json={
        "definition": failing, "event": {"data": USER}, "failures": {"hi": "mailbox full"},
    })  # fmt: skip
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["status"], body["path"]) == ("failed", ["hi"])
    assert body["steps"][0]["status"] == "failed"
    assert body["steps"][0]["error"]["type"] == "simulated_failure"
    assert "mailbox full" in body["steps"][0]["error"]["message"]
    workflow_id = await create(api, failing)
    stored = await api.post(
        f"/v1/workflows/{workflow_id}/test", json={"failures": {"hi": "mailbox full"}}
    )
    assert stored.json()["status"] == "failed"
    # A live run is real: it cannot be told to fail; an empty message says nothing.
    live = {"mode": "live", "failures": {"hi": "x"}}
    problem(await api.post(f"/v1/workflows/{workflow_id}/test", json=live), 422)
    empty = await api.post(f"/v1/workflows/{workflow_id}/test", json={"failures": {"hi": ""}})
    problem(empty, 422)
