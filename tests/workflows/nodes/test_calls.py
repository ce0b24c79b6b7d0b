"""sub_workflow: another stored definition run as a child workflow."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.engine import Engine
from temporalio.testing import WorkflowEnvironment

from definitions.loading import load_definition
from storage.db import session_scope
from storage.models import Tenant
from storage.tenants import create_tenant
from storage.workflows import create_workflow, set_status
from tests.helpers.db import run_row
from tests.helpers.peers import RecordingHttpServer
from tests.workflows.flow_helpers import (
    call,
    run_once,
    step_rows,
)
from workflows.policies import WORKFLOW_TASK_TIMEOUT

# --------------------------------------------------------------------------------- sub_workflow


def stored_workflow(engine: Engine, tenant_id: str, document: dict[str, Any]) -> str:
    canonical = load_definition(document).canonical()
    with session_scope(engine) as session:
        if session.get(Tenant, tenant_id) is None:
            create_tenant(session, "Flow tests", tenant_id)
        workflow = create_workflow(session, tenant_id, canonical, document)
        set_status(session, workflow, "active")
        return workflow.id


async def test_sub_workflow_runs_a_child_and_its_result_is_the_step_output(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    child = {
        "name": "Greeter",
        "steps": [
            {"id": "greet", "type": "set", "values": {"greeting": "Hi {{ name }}"}},
            call("hello", "/child", body={"greeting": "{{ greeting }}"}),
        ],
    }
    tenant = f"t_{uuid.uuid4().hex[:8]}"
    child_id = stored_workflow(engine, tenant, child)
    document = {
        "name": "Parent",
        "steps": [
            {"id": "sub", "type": "sub_workflow", "workflow_id": child_id, "output": "greeter",
             "input": {"name": "{{ name }}", "url": "{{ url }}"}},
            call("after", "/after", body={"said": "{{ steps.sub.output.vars.greeting }}",
                                          "status": "{{ greeter.status }}"}),
        ],
    }  # fmt: skip
    with RecordingHttpServer() as peer:
        data = {"url": peer.base_url, "name": "Ann"}
        run_id, result = await run_once(time_env, engine, document, data, tenant=tenant)
    assert (result.status, result.path) == ("completed", ["sub", "after"])
    assert [(r.path, r.json) for r in peer.requests] == [
        ("/child", {"greeting": "Hi Ann"}),
        ("/after", {"said": "Hi Ann", "status": "completed"}),
    ]
    step = step_rows(engine, run_id)["sub"]
    assert step.status == "completed"
    assert step.output["status"] == "completed"
    assert step.output["vars"] == {"greeting": "Hi Ann"}
    child_run = run_row(engine, step.output["run_id"])
    assert child_run is not None and child_run.status == "completed"
    assert child_run.workflow_id == child_id
    child_history = await time_env.client.get_workflow_handle(child_run.id).fetch_history()
    started = child_history.events[0].workflow_execution_started_event_attributes
    assert started.workflow_task_timeout.ToTimedelta() == WORKFLOW_TASK_TIMEOUT


async def test_sub_workflow_of_an_unknown_workflow_fails_the_step_clearly(
    time_env: WorkflowEnvironment, engine: Engine
) -> None:
    document = {
        "name": "Parent of nothing",
        "steps": [
            {"id": "sub", "type": "sub_workflow", "workflow_id": "wf_missing"},
            call("after", "/after"),
        ],
    }
    with RecordingHttpServer() as peer:
        run_id, result = await run_once(time_env, engine, document, {"url": peer.base_url})
    assert (result.status, result.path) == ("completed", ["sub", "after"])
    step = step_rows(engine, run_id)["sub"]
    assert step.status == "failed"
    assert step.error == {
        "type": "not_found", "message": "no workflow 'wf_missing'", "retryable": False
    }  # fmt: skip
