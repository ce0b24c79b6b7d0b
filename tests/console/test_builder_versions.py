"""Versions from the builder: Save asks for a message the version list shows; a version
compared with the draft marks the added, removed and changed nodes on the canvas."""

from __future__ import annotations

import json
import re
from typing import Any

from playwright.async_api import Page, expect

from tests.console.conftest import Console, save, shoot, sign_in


def welcome(subject: str = "Welcome") -> dict[str, Any]:
    return {
        "name": "Welcome",
        "trigger": {"type": "event", "event": "contact.created"},
        "nodes": [
            {"id": "hello", "type": "send_email", "position": {"x": 0, "y": 120},
             "config": {"to": "{{ email }}", "subject": subject, "body": "Hi"}},
            {"id": "pause", "type": "wait", "position": {"x": 0, "y": 240},
             "config": {"duration": "2d"}},
        ],
        "edges": [{"from": "trigger", "to": "hello"}, {"from": "hello", "to": "pause"}],
    }  # fmt: skip


async def test_save_asks_for_a_message_that_the_versions_list_shows(
    page: Page, console: Console
) -> None:
    workflow = await console.create(welcome(), active=False)
    await sign_in(page, console.key)
    await page.goto(f"/workflows/{workflow['id']}/builder")
    await page.get_by_label("Name", exact=True).fill("Welcome, friendlier")
    await page.get_by_role("button", name="Save", exact=True).click()
    dialog = page.get_by_role("dialog", name="Save a version")
    await expect(dialog.get_by_label("Message")).to_be_focused()
    await shoot(page, "builder-save-message")
    await page.keyboard.press("Escape")  # cancelled: nothing saved
    await expect(dialog).to_have_count(0)
    await expect(page.get_by_text("unsaved changes")).to_be_visible()
    await save(page, "A friendlier name")
    await expect(page.get_by_role("status").filter(has_text="Saved as version 2")).to_be_visible()

    await page.goto(f"/workflows/{workflow['id']}/versions")
    rows = page.get_by_role("table", name="Versions of Welcome, friendlier").get_by_role("row")
    await expect(rows.filter(has_text="v2")).to_contain_text("A friendlier name")
    await expect(rows.filter(has_text="v1")).to_contain_text("—")
    await shoot(page, "versions-with-messages")
    listed = (await console.api.get(f"/v1/workflows/{workflow['id']}/versions")).json()
    assert [(v["version"], v["message"]) for v in listed] == [(2, "A friendlier name"), (1, None)]


async def test_a_version_compared_with_the_draft_marks_added_removed_and_changed_nodes(
    page: Page, console: Console
) -> None:
    workflow = await console.create(welcome(), active=False)
    await sign_in(page, console.key)
    await page.goto(f"/workflows/{workflow['id']}/builder")
    canvas = page.get_by_role("figure", name="Canvas")
    panel = page.get_by_role("complementary", name="Node settings")
    await page.get_by_label("Compare with").select_option("1")
    summary = page.get_by_role("status", name="Comparison")
    await expect(summary).to_have_text(re.compile("The draft has the same nodes as v1"))

    # Change one node, remove another, add a third: each is marked, the removed one a ghost.
    await canvas.get_by_label("hello (send_email)").focus()
    await page.keyboard.press("Enter")
    await panel.get_by_label("subject", exact=True).fill("Welcome aboard")
    await canvas.get_by_label("pause (wait)").focus()
    await page.keyboard.press("Enter")
    await page.keyboard.press("Delete")
    await canvas.get_by_label("hello (send_email), changed since v1").focus()
    await page.keyboard.press("Enter")
    palette = page.get_by_role("navigation", name="Node types")
    await palette.get_by_role("button", name="goal", exact=True).press("Enter")
    await expect(canvas.get_by_label("goal_1 (goal), added since v1")).to_be_visible()
    await expect(canvas.get_by_label("hello (send_email), changed since v1")).to_be_visible()
    ghost = canvas.get_by_label("pause (wait), removed since v1")
    await expect(ghost).to_be_visible()
    await expect(ghost.locator(".builder-node")).to_have_class(re.compile("diff-removed"))
    await expect(summary).to_contain_text("1 added, 1 changed, 1 removed")
    await shoot(page, "builder-compare")

    # The ghost is not part of the draft; with nothing compared, the marks go.
    await page.get_by_role("button", name="JSON", exact=True).click()
    draft = json.loads(await page.get_by_label("Definition (JSON)").input_value())
    assert [n["id"] for n in draft["nodes"]] == ["hello", "goal_1"]
    await page.get_by_role("button", name="Canvas", exact=True).click()
    await page.get_by_label("Compare with").select_option("")
    await expect(summary).to_have_count(0)
    await expect(ghost).to_have_count(0)
    await expect(canvas.locator(".diff-added, .diff-changed")).to_have_count(0)
