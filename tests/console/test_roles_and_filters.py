"""The console respects the key's role — a viewer sees no button it may not use and reads
messages masked — and the runs list filters the runs that had a step fail."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.console.conftest import Console, ended, shoot, sign_in
from tests.console.test_runs_pages import ONBOARDING
from tests.helpers.peers import unused_port


async def test_a_viewer_key_sees_no_controls_and_reads_what_was_sent_masked(
    page: Page, console: Console
) -> None:
    await console.create(ONBOARDING)
    [run_id] = await console.send(
        "signup.created", {"user_id": "u1", "email": "ann@example.com", "name": "Ann"}
    )
    await console.wait_run(run_id, lambda run: run["status"] == "waiting")
    issued = await console.api.post("/v1/keys", json={"name": "auditor", "role": "viewer"})
    await sign_in(page, issued.json()["key"])

    await expect(page.get_by_label("Signed in as")).to_contain_text("auditor")
    await expect(page.get_by_label("Signed in as")).to_contain_text("viewer")
    await expect(page.get_by_role("link", name="Onboarding")).to_be_visible()
    for absent in ("Activate", "Pause", "Archive", "Duplicate"):
        await expect(page.get_by_role("button", name=absent)).to_have_count(0)
    await expect(page.get_by_role("link", name="Create from a template")).to_have_count(0)
    await expect(page.get_by_role("checkbox", name="Select Onboarding")).to_have_count(0)
    await shoot(page, "workflows-as-viewer")

    await page.goto(f"/runs/{run_id}")
    sent = page.get_by_role("listitem", name="Step hello").get_by_label("Sent Email")
    await expect(sent).to_contain_text("•••")
    await expect(sent).not_to_contain_text("ann@example.com")
    await expect(sent).not_to_contain_text("Welcome, Ann")
    await expect(page.get_by_role("listitem", name="Step profile")).to_contain_text("waiting")
    await expect(page.get_by_role("button", name="Cancel run")).to_have_count(0)
    await shoot(page, "run-as-viewer")

    await page.get_by_role("link", name="Events", exact=True).click()
    await expect(page.get_by_role("heading", name="Events", level=1)).to_be_visible()
    await expect(page.get_by_role("button", name="Send event")).to_have_count(0)
    await page.get_by_role("link", name="Templates", exact=True).click()
    await expect(page.get_by_role("heading", name="Templates", level=1)).to_be_visible()
    await expect(page.get_by_role("button", name="Use this template")).to_have_count(0)


async def test_the_runs_list_filters_runs_whose_steps_failed(page: Page, console: Console) -> None:
    # The notice fails (nothing listens), the run goes on past it and ends completed.
    await console.create(
        {
            "name": "Notify the warehouse",
            "trigger": {"type": "event", "event": "order.paid"},
            "steps": [
                {
                    "id": "notice",
                    "type": "http_request",
                    "retry": {"max_attempts": 1},
                    "url": f"http://127.0.0.1:{unused_port()}/notice",
                },
                {"id": "done", "type": "set", "values": {"noted": True}},
            ],
        }  # fmt: skip
    )
    await console.create(ONBOARDING)
    [failing] = await console.send("order.paid", {})
    [fine] = await console.send("signup.created", {"user_id": "u3", "email": "c@example.com"})
    run = await console.wait_run(failing, ended)
    assert (run["status"], run["steps_failed"]) == ("completed", 1)
    await sign_in(page, console.key)

    await page.goto("/runs")
    table = page.get_by_role("table", name="Runs")
    await expect(table.get_by_role("link", name=fine)).to_be_visible()
    # The box follows the URL (the filter is kept there): click, then see it checked.
    failed_only = page.get_by_role("checkbox", name="With failed steps")
    await failed_only.click()
    await expect(failed_only).to_be_checked()
    await expect(table.get_by_role("row")).to_have_count(2)
    await expect(table.get_by_role("link", name=failing)).to_be_visible()
    await expect(table).to_contain_text("1 failed step")
    assert "failed_steps=1" in page.url
    await shoot(page, "runs-with-failed-steps")
