"""The visual builder: the 24-hour reminder built from an empty canvas by mouse and keyboard,
checked by the server's validation as it is drawn, simulated, saved, activated and run for real
(its email delivered); undo and redo."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from playwright.async_api import Page, expect

from tests.console.conftest import Console, ended, save, shoot, sign_in


async def test_the_24_hour_reminder_is_built_checked_simulated_activated_and_runs(
    page: Page, console: Console
) -> None:
    await sign_in(page, console.key)
    await page.get_by_role("link", name="New workflow").click()
    await expect(page.get_by_role("heading", name="New workflow", level=1)).to_be_visible()
    await page.get_by_label("Name", exact=True).fill("Booking reminder")
    canvas = page.get_by_role("figure", name="Canvas")
    panel = page.get_by_role("complementary", name="Node settings")

    # The trigger: booking.created, starting 24 hours before the booking's start_time.
    await canvas.get_by_label("Trigger (event)").click()
    await panel.get_by_label("event", exact=True).fill("booking.created")
    await panel.get_by_label("when", exact=True).select_option("before")
    await panel.get_by_label("by", exact=True).fill("24")
    await expect(panel.get_by_label("before the field")).to_have_value("start_time")
    await panel.get_by_label("entity", exact=True).fill("{{ booking_id }}")

    # An email, dragged from the palette onto the canvas (mouse) ...
    palette = page.get_by_role("navigation", name="Node types")
    await expect(palette.get_by_role("region", name="Branching")).to_contain_text("switch")
    await palette.get_by_role("button", name="send_email", exact=True).drag_to(
        canvas, target_position={"x": 300, "y": 540}
    )
    email = canvas.get_by_label("send_email_1 (send_email)")
    await expect(email).to_be_visible()
    # ... joined to the trigger by dragging from handle to handle.
    await canvas.locator(".react-flow__node[data-id=trigger] .react-flow__handle-bottom").drag_to(
        canvas.locator(".react-flow__node[data-id=send_email_1] .react-flow__handle-top")
    )
    await expect(canvas.get_by_label("edge trigger to send_email_1")).to_have_count(1)

    # Its fields by keyboard, with {{ }} completion of the event's fields.
    await email.click()
    to = panel.get_by_label("to", exact=True)
    await to.press_sequentially("{{ invitee_em")
    await expect(panel.get_by_role("option", name="invitee_email")).to_be_visible()
    await to.press("Enter")
    await expect(to).to_have_value("{{ invitee_email }}")
    await panel.get_by_label("subject", exact=True).fill("See you tomorrow, {{ invitee_name }}")
    await panel.get_by_label("body", exact=True).fill(
        "Your {{ event_type_name }} starts at {{ start_time }}."
    )
    validation = page.get_by_role("status", name="Validation")
    await expect(validation).to_have_text("✓ Valid")
    await shoot(page, "builder-reminder")

    # A mistake is shown on its node and its field, then fixed.
    await to.fill("")
    await expect(validation).to_contain_text("✗ 1 error")
    await expect(email).to_contain_text("⚠")
    await expect(panel.locator(".field-problem").first).to_be_visible()
    await shoot(page, "builder-mistake")
    await to.fill("{{ invitee_email }}")
    await expect(validation).to_have_text("✓ Valid")
    await expect(email).not_to_contain_text("⚠")

    # Try it: the reminder goes out 24 hours before the start.
    data = json.loads(await page.get_by_label("Event data").input_value())
    start = datetime.fromisoformat(data["start_time"])
    await page.get_by_role("button", name="Simulate").click()
    await shoot(page, "builder-simulated")
    timeline = page.get_by_role("list", name="Simulated steps")
    reminder_at = (start - timedelta(hours=24)).isoformat().replace("+00:00", "Z")
    await expect(timeline.get_by_role("listitem").filter(has_text="send_email_1")).to_contain_text(
        reminder_at
    )
    await expect(timeline).to_contain_text("See you tomorrow, invitee name")
    await expect(canvas.locator(".builder-node.on-path")).to_have_count(2)
    await shoot(page, "builder-simulated")

    # Save (a draft, version 1, with a message) and activate from the builder.
    await save(page, "A reminder a day before")
    await expect(page.get_by_role("heading", name="Edit workflow")).to_be_visible()
    await expect(page.get_by_role("status").filter(has_text="Saved as version 1")).to_be_visible()
    await page.get_by_role("button", name="Activate").click()
    await expect(page.locator(".page-header .badge")).to_have_text("active")
    workflow_id = page.url.split("/workflows/")[1].split("/")[0]
    stored = (await console.api.get(f"/v1/workflows/{workflow_id}/export")).json()
    assert stored["trigger"]["start"] == {"before": "24h", "field": "start_time"}
    assert stored["nodes"][0]["position"]  # the drawing is kept in the document

    # The event: a booking starting in 24 hours and a few seconds; the email goes out.
    soon = datetime.now(UTC) + timedelta(hours=24, seconds=3)
    [run_id] = await console.send("booking.created", {
        "booking_id": "bk_1", "invitee_email": "ann@example.com", "invitee_name": "Ann",
        "event_type_name": "Discovery Call", "start_time": soon.isoformat(),
    })  # fmt: skip
    await console.wait_run(run_id, ended, timeout=40)
    await page.goto(f"/runs/{run_id}")
    step = page.get_by_role("list", name="Steps").get_by_role("listitem", name="Step send_email_1")
    await expect(step.get_by_label("Sent Email")).to_contain_text("Email delivered")
    await expect(step).to_contain_text("See you tomorrow, Ann")  # as it was sent
    assert [m.message["Subject"] for m in console.smtp.messages] == ["See you tomorrow, Ann"]
    await shoot(page, "builder-run")
