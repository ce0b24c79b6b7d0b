"""Templates (create a workflow from one), importing a YAML file, and the analytics pages of a
workflow with seeded runs and of the whole tenant."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from tests.console.conftest import Console, ended, shoot, sign_in
from tests.helpers.peers import RecordingHttpServer, unused_port

IMPORTED = b"""name: Imported from YAML
trigger:
  type: event
  event: invoice.paid
steps:
  - id: thank
    type: send_email
    to: "{{ email }}"
    subject: Thank you
    body: We received your payment.
"""


def caller() -> dict[str, Any]:
    return {
        "name": "Sync to CRM",
        "trigger": {"type": "event", "event": "contact.updated"},
        "steps": [{"id": "push", "type": "http_request", "url": "{{ target }}",
                   "retry": {"max_attempts": 1}, "on_error": "stop"}],
    }  # fmt: skip


async def test_a_workflow_is_created_from_a_template(page: Page, console: Console) -> None:
    template = (await console.api.get("/v1/templates")).json()["items"][0]
    await sign_in(page, console.key)
    await page.get_by_role("link", name="Create from a template").click()
    await expect(page.get_by_role("heading", name="Templates", level=1)).to_be_visible()
    await expect(page.get_by_role("heading", name=template["name"], level=3)).to_be_visible()
    # Each template is previewed as a graph of its flow.
    preview = page.get_by_role("figure", name=f"Flow of {template['name']}")
    for node in template["graph"]["nodes"]:
        await expect(
            preview.get_by_role("img", name=f"{node['label']} ({node['type']})")
        ).to_be_visible()
    await shoot(page, "templates")
    await page.get_by_role("button", name=f"Use the {template['name']} template").click()
    form = page.get_by_role("form", name=f"Create a workflow from {template['name']}")
    await form.get_by_label("Workflow name").fill("Our version")
    await form.get_by_role("button", name="Create workflow").click()

    await expect(page.get_by_role("heading", name="Our version", level=1)).to_be_visible()
    await expect(page.get_by_text("draft").first).to_be_visible()
    await expect(page.get_by_role("figure", name="Flow of Our version")).to_be_visible()
    [created] = (await console.api.get("/v1/workflows")).json()["items"]
    assert created["definition"]["settings"]["template"] == template["id"]


async def test_a_yaml_file_is_imported_and_a_broken_one_is_explained(
    page: Page, console: Console
) -> None:
    await sign_in(page, console.key)
    upload = page.get_by_label("Import a JSON or YAML file")
    broken = {"name": "broken.json", "mimeType": "application/json", "buffer": b'{"name": "x"}'}
    await upload.set_input_files(files=[broken])  # type: ignore[list-item]
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("The file could not be imported")
    await expect(alert).to_contain_text("nodes")

    good = {"name": "thanks.yaml", "mimeType": "application/yaml", "buffer": IMPORTED}
    await upload.set_input_files(files=[good])  # type: ignore[list-item]
    await expect(page.get_by_role("heading", name="Imported from YAML", level=1)).to_be_visible()
    await expect(page.get_by_role("region", name="How it starts")).to_contain_text(
        "when invoice.paid"
    )
    exported = (await console.api.get("/v1/workflows")).json()["items"][0]
    assert exported["name"] == "Imported from YAML"


async def test_analytics_show_a_workflows_runs_and_the_tenants(
    page: Page, console: Console
) -> None:
    with RecordingHttpServer() as crm:
        workflow = await console.create(caller())
        dead = f"http://127.0.0.1:{unused_port()}/"
        for target in (crm.url("/1"), crm.url("/2"), dead):
            for run_id in await console.send("contact.updated", {"target": target}):
                await console.wait_run(run_id, ended)

    await sign_in(page, console.key)
    await page.goto(f"/workflows/{workflow['id']}/analytics")
    figures = page.get_by_label("Figures for the period")
    await expect(figures).to_contain_text("Runs3")
    await expect(page.get_by_role("figure", name="Runs and success rate over time")).to_be_visible()
    await expect(
        page.get_by_role("figure", name="Drop-off: runs that reached each step")
    ).to_be_visible()
    steps = page.get_by_role("table", name="Action-level success rates")
    await expect(steps.get_by_role("row", name="push")).to_contain_text("67%")
    await shoot(page, "workflow-analytics")

    await page.get_by_role("link", name="Analytics", exact=True).first.click()
    await expect(page.get_by_role("heading", name="Analytics", level=1)).to_be_visible()
    await expect(page.get_by_label("Figures for the period")).to_contain_text("Failed1")
    least = page.get_by_role("table", name="Least successful")
    await expect(least.get_by_role("row", name="Sync to CRM")).to_contain_text("67%")
    await page.get_by_role("combobox", name="Period").select_option("7")
    await expect(page.get_by_label("Figures for the period")).to_contain_text("Runs3")
    await shoot(page, "analytics")
