"""The Notifications page: what notify steps stored, marked read one by one."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.console.conftest import Console, ended, shoot, sign_in

TELL_OWNER = {
    "name": "Tell the owner",
    "trigger": {"type": "event", "event": "lead.qualified"},
    "steps": [
        {"id": "tell", "type": "send_notification", "recipient": "{{ owner }}",
         "message": "New qualified lead: {{ company }}"},
    ],
}  # fmt: skip


async def test_notifications_are_listed_and_marked_read(page: Page, console: Console) -> None:
    await console.create(TELL_OWNER)
    for company in ("Initech", "Globex"):
        for run_id in await console.send(
            "lead.qualified", {"owner": "ann@acme.com", "company": company}
        ):
            await console.wait_run(run_id, ended)
    await sign_in(page, console.key)
    await page.get_by_role("link", name="Notifications").click()
    listed = page.get_by_role("list", name="Notifications")
    initech = listed.get_by_role("listitem", name="New qualified lead: Initech")
    await expect(initech).to_contain_text("for ann@acme.com")
    await expect(listed.get_by_role("listitem")).to_have_count(2)
    await shoot(page, "notifications")
    await initech.get_by_role("button", name="Mark as read").click()
    await expect(listed.get_by_role("listitem")).to_have_count(1)
    await page.get_by_label("Unread only").uncheck()
    await expect(initech).to_contain_text("read")
    await expect(listed.get_by_role("listitem")).to_have_count(2)
    await initech.get_by_role("link", name="Open the run").click()
    await expect(page.get_by_role("listitem", name="Step tell")).to_contain_text("completed")
