"""The Temporal UI speaks Relay's language: each run's static summary names its workflow and
version, its static details link back to the run's page in the console, and its current
details say which step it is at — no customer data in any of them."""

from __future__ import annotations

from temporalio.api.sdk.v1 import WorkflowMetadata

from tests.api.conftest import Stack, finished
from tests.helpers.polling import eventually

PUBLIC_URL = "https://relay.example.com"
PATIENT = {
    "name": "Welcome series",
    "trigger": {"type": "event", "event": "signup.created", "entity": "{{ user_id }}"},
    "steps": [
        {"id": "hello", "type": "send_email", "to": "{{ email }}", "subject": "Hi",
         "body": "Welcome."},
        {"id": "pause", "type": "wait", "duration": "P3D"},
    ],
}  # fmt: skip


async def test_a_run_in_the_temporal_ui_names_its_workflow_step_and_links_back(
    stack: Stack,
) -> None:
    stack.app.state.deps.public_url = PUBLIC_URL
    await stack.create_active(PATIENT)
    data = {"email": "kim@example.com", "user_id": "u_42"}
    accepted = await stack.api.post("/v1/events", json={"type": "signup.created", "data": data})
    run_id = accepted.json()["runs"][0]["id"]
    await stack.wait_run(run_id, lambda run: run["status"] == "waiting")

    handle = stack.client.get_workflow_handle(run_id)
    description = await handle.describe()
    assert await description.static_summary() == "Welcome series · v1 · entity u_42"
    details = await description.static_details()
    assert details == f"Relay run: [{run_id}]({PUBLIC_URL}/runs/{run_id})"

    async def current_details() -> str:
        metadata = await handle.query("__temporal_workflow_metadata", result_type=WorkflowMetadata)
        assert metadata.current_details == "At step `pause` (wait)"
        return metadata.current_details

    shown = await eventually(current_details)
    assert "kim" not in shown + (await description.static_summary() or "") + details

    assert (await stack.api.post(f"/v1/runs/{run_id}/cancel")).status_code == 200
    await stack.wait_run(run_id, finished)
