"""Signing in, and the workflows dashboard: status, trigger in words, 7-day figures, search,
filters and lifecycle changes of several workflows at once."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.console.conftest import Console, ended, shoot, sign_in

BOOKING_FOLLOW_UP = {
    "name": "Discovery call follow-up",
    "trigger": {
        "type": "event",
        "event": "booking.created",
        "filter": {"field": "event_type_name", "operator": "eq", "value": "Discovery Call"},
    },
    "steps": [
        {"id": "thanks", "type": "send_email", "to": "{{ invitee_email }}",
         "subject": "Thanks, {{ invitee_name }}", "body": "See you soon."},
    ],
}  # fmt: skip
WEEKLY_DIGEST = {
    "name": "Weekly digest",
    "trigger": {"type": "schedule", "cron": "0 9 * * 1", "timezone": "Europe/Berlin"},
    "steps": [{"id": "done", "type": "end"}],
}
REMINDER = {
    "name": "Day-before reminder",
    "trigger": {"event": "booking.created", "start": {"before": "24h", "field": "start_time"}},
    "steps": [{"id": "done", "type": "end"}],
}
BOOKING = {
    "event_type_name": "Discovery Call",
    "invitee_name": "Ann",
    "invitee_email": "ann@example.com",
}


async def test_a_wrong_key_is_refused_with_the_apis_reason(page: Page, console: Console) -> None:
    await page.goto("/")
    await page.get_by_label("API key").fill("not-a-key")
    await page.get_by_role("button", name="Sign in").click()
    alert = page.get_by_role("alert")
    await expect(alert).to_contain_text("That key was not accepted")
    await expect(alert).to_contain_text("Invalid API key")
    await shoot(page, "sign-in-refused")


async def test_the_dashboard_lists_workflows_with_their_figures(
    page: Page, console: Console
) -> None:
    await console.create(BOOKING_FOLLOW_UP)
    await console.create(WEEKLY_DIGEST, active=False)
    await console.create(REMINDER, active=False)
    for _ in range(2):
        for run_id in await console.send("booking.created", BOOKING):
            await console.wait_run(run_id, ended)

    await sign_in(page, console.key)
    table = page.get_by_role("table")
    row = table.get_by_role("row", name="Discovery call follow-up")
    await expect(row.get_by_role("cell").nth(1)).to_have_text("active")
    await expect(row).to_contain_text(
        "when booking.created where event type name is Discovery Call"
    )
    # Runs in 7 days, with the trend per day (today last) read out beside the bars.
    await expect(row.get_by_role("cell").nth(3)).to_have_text(
        "per day: 0, 0, 0, 0, 0, 0, 2; total 2"
    )
    await expect(row.get_by_role("cell").nth(4)).to_have_text("100%")
    await expect(row.get_by_role("cell").nth(5)).to_contain_text("ago")
    digest = table.get_by_role("row", name="Weekly digest")
    await expect(digest).to_contain_text("every Monday 09:00 Europe/Berlin")
    await expect(digest.get_by_role("cell").nth(1)).to_have_text("draft")
    await expect(table.get_by_role("row", name="Day-before reminder")).to_contain_text(
        "24 h before start time, after booking.created"
    )
    await shoot(page, "workflows")

    await page.get_by_role("searchbox", name="Search").fill("monday")
    await expect(table.get_by_role("row")).to_have_count(2)  # the header and the digest
    await page.get_by_role("searchbox", name="Search").fill("")
    await page.get_by_label("Status").select_option("draft")
    await expect(table.get_by_role("row")).to_have_count(3)
    await page.get_by_label("Status").select_option("")

    # Two at once: activate the drafts, then pause one of them and archive the other.
    await page.get_by_role("checkbox", name="Select Weekly digest").check()
    await page.get_by_role("checkbox", name="Select Day-before reminder").check()
    await page.get_by_role("button", name="Activate").click()
    await expect(digest.get_by_role("cell").nth(1)).to_have_text("active")
    reminder = table.get_by_role("row", name="Day-before reminder")
    await expect(reminder.get_by_role("cell").nth(1)).to_have_text("active")
    await page.get_by_role("checkbox", name="Select Weekly digest").check()
    await page.get_by_role("button", name="Pause").click()
    await expect(digest.get_by_role("cell").nth(1)).to_have_text("paused")
    await page.get_by_role("checkbox", name="Select Day-before reminder").check()
    await page.get_by_role("button", name="Archive").click()
    await expect(reminder.get_by_role("cell").nth(1)).to_have_text("archived")
    await page.get_by_role("checkbox", name="Select Weekly digest").check()
    await page.get_by_role("checkbox", name="Select Discovery call follow-up").check()
    await page.get_by_role("button", name="Duplicate").click()
    await expect(table.get_by_role("row", name="Weekly digest (copy)")).to_contain_text("draft")
    await expect(table.get_by_role("row", name="Discovery call follow-up (copy)")).to_be_visible()
    listed = (await console.api.get("/v1/workflows")).json()["items"]
    assert {w["name"]: w["status"] for w in listed} == {
        "Discovery call follow-up": "active",
        "Weekly digest": "paused",
        "Day-before reminder": "archived",
        "Weekly digest (copy)": "draft",
        "Discovery call follow-up (copy)": "draft",
    }


async def test_signing_out_forgets_the_key(page: Page, console: Console) -> None:
    await sign_in(page, console.key)
    await expect(page.get_by_text("No workflows yet")).to_be_visible()
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", name="Sign in to Relay")).to_be_visible()
    await page.reload()
    await expect(page.get_by_role("heading", name="Sign in to Relay")).to_be_visible()
    assert await page.evaluate("() => window.localStorage.length") == 0


async def test_on_a_phone_every_section_stays_reachable(page: Page, console: Console) -> None:
    await console.create(BOOKING_FOLLOW_UP)
    await page.set_viewport_size({"width": 390, "height": 844})
    await sign_in(page, console.key)
    sections = page.get_by_role("navigation", name="Sections")
    for name in ("Workflows", "Runs", "Events", "Analytics", "Templates", "Notifications"):
        await expect(sections.get_by_role("link", name=name)).to_be_visible()
    await expect(page.get_by_role("link", name="Discovery call follow-up")).to_be_visible()
    width = await page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width}px)"  # the table scrolls, not the page
    await shoot(page, "phone-workflows")
