"""The builder by keyboard alone (palette item + Enter, the panel's fields and its "connect
to"), undo and redo, and the JSON view: switching canvas ↔ JSON and saving keep the document
exactly as it was."""

from __future__ import annotations

import json
from typing import Any

from playwright.async_api import Page, expect

from tests.console.conftest import Console, save, shoot, sign_in


async def document(page: Page) -> dict[str, Any]:
    """The draft as the JSON view shows it (and back to the canvas)."""
    await page.get_by_role("button", name="JSON", exact=True).click()
    text = await page.get_by_label("Definition (JSON)").input_value()
    await page.get_by_role("button", name="Canvas", exact=True).click()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


async def add(page: Page, node_type: str) -> None:
    """Focus the palette item and press Enter: added below the selected node, joined to it."""
    palette = page.get_by_role("navigation", name="Node types")
    await palette.get_by_role("button", name=node_type, exact=True).press("Enter")


async def test_a_welcome_campaign_by_keyboard_with_undo_redo_and_an_identical_round_trip(
    page: Page, console: Console
) -> None:
    await sign_in(page, console.key)
    await page.goto("/workflows/new/builder")
    await page.get_by_label("Name", exact=True).fill("Welcome campaign")
    canvas = page.get_by_role("figure", name="Canvas")
    panel = page.get_by_role("complementary", name="Node settings")
    await canvas.get_by_label("Trigger (event)").focus()
    await page.keyboard.press("Enter")  # React Flow selects a focused node with Enter
    await panel.get_by_label("event", exact=True).fill("contact.created")

    await add(page, "send_email")
    await expect(panel.get_by_role("heading", name="send_email_1")).to_be_visible()
    await panel.get_by_label("to", exact=True).fill("{{ email }}")
    await panel.get_by_label("subject", exact=True).fill("Welcome, {{ first_name }}")
    await panel.get_by_label("body", exact=True).fill("Glad you are here.")
    await add(page, "wait")
    await panel.get_by_label("duration", exact=True).fill("2")
    await panel.get_by_label("duration unit").select_option("d")
    await add(page, "condition")
    await panel.get_by_role("button", name="Edit condition as JSON").click()
    await panel.get_by_label("condition", exact=True).fill(
        '{"field": "opened", "operator": "eq", "value": true}'
    )
    await panel.get_by_label("condition", exact=True).blur()
    await add(page, "send_email")  # a condition has no plain edge: added, not joined
    await panel.get_by_label("to", exact=True).fill("{{ email }}")
    await panel.get_by_label("subject", exact=True).fill("Our best tips")
    await panel.get_by_label("body", exact=True).fill("Since you opened the first one.")
    await add(page, "goal")
    await panel.get_by_role("button", name="Edit condition as JSON").click()
    await panel.get_by_label("condition", exact=True).fill(
        '{"field": "purchased", "operator": "eq", "value": true}'
    )
    await panel.get_by_label("condition", exact=True).blur()

    # The condition's two branches, joined by keyboard from its panel.
    await canvas.get_by_label("condition_1 (condition)").focus()
    await page.keyboard.press("Enter")
    await panel.get_by_label("Connect to").select_option("send_email_2")
    await panel.get_by_label("Edge label").select_option("true")
    await panel.get_by_role("button", name="Connect").click()
    await panel.get_by_label("Connect to").select_option("goal_1")
    await panel.get_by_label("Edge label").select_option("false")
    await panel.get_by_role("button", name="Connect").click()
    await expect(canvas.get_by_label("edge condition_1 to send_email_2 (true)")).to_have_count(1)
    await expect(canvas.get_by_label("edge condition_1 to goal_1 (false)")).to_have_count(1)
    await expect(page.get_by_role("status", name="Validation")).to_contain_text("✓ Valid")
    await shoot(page, "builder-keyboard")

    built = await document(page)
    assert [(n["id"], n["type"]) for n in built["nodes"]] == [
        ("send_email_1", "send_email"), ("wait_1", "wait"), ("condition_1", "condition"),
        ("send_email_2", "send_email"), ("goal_1", "goal"),
    ]  # fmt: skip
    assert built["nodes"][1]["duration"] == "2d"
    assert [(e["from"], e["to"], e.get("when")) for e in built["edges"]] == [
        ("trigger", "send_email_1", None), ("send_email_1", "wait_1", None),
        ("wait_1", "condition_1", None), ("send_email_2", "goal_1", None),
        ("condition_1", "send_email_2", "true"), ("condition_1", "goal_1", "false"),
    ]  # fmt: skip
    assert all("position" in n for n in built["nodes"])

    # Undo takes the last edge away, redo puts it back; by buttons and by Ctrl-Z/Ctrl-Shift-Z.
    await page.get_by_role("button", name="Undo").click()
    await expect(canvas.get_by_label("edge condition_1 to goal_1 (false)")).to_have_count(0)
    await page.get_by_role("button", name="Redo").click()
    await expect(canvas.get_by_label("edge condition_1 to goal_1 (false)")).to_have_count(1)
    await canvas.get_by_label("goal_1 (goal)").focus()
    await page.keyboard.press("Enter")
    await page.keyboard.press("Delete")
    await expect(canvas.get_by_label("goal_1 (goal)")).to_have_count(0)
    await page.keyboard.press("Control+z")
    await expect(canvas.get_by_label("goal_1 (goal)")).to_have_count(1)
    assert await document(page) == built
    await page.keyboard.press("Control+Shift+z")
    await expect(canvas.get_by_label("goal_1 (goal)")).to_have_count(0)
    await page.keyboard.press("Control+z")
    assert await document(page) == built

    # An edit in the JSON view is on the canvas; the saved document is the one shown.
    await page.get_by_role("button", name="JSON", exact=True).click()
    edited = {**built, "description": "Two emails and a goal"}
    edited["nodes"] = [*built["nodes"][:4], {**built["nodes"][4], "name": "Engaged"}]
    await page.get_by_label("Definition (JSON)").fill(json.dumps(edited, indent=1))
    await page.get_by_role("button", name="Canvas", exact=True).click()
    await expect(canvas.get_by_label("Engaged (goal)")).to_be_visible()
    assert await document(page) == edited
    await save(page)
    await expect(page.get_by_role("heading", name="Edit workflow")).to_be_visible()
    workflow_id = page.url.split("/workflows/")[1].split("/")[0]
    exported = (await console.api.get(f"/v1/workflows/{workflow_id}/export")).json()
    assert exported == edited
    # Reopened, the builder shows the stored document unchanged.
    await page.reload()
    await expect(canvas.get_by_label("Engaged (goal)")).to_be_visible()
    assert await document(page) == edited

    # An edit not yet saved cannot be activated: activation runs the saved version.
    activate = page.get_by_role("button", name="Activate")
    await expect(activate).to_be_enabled()
    await page.get_by_label("Name", exact=True).fill("Welcome campaign, v2")
    await expect(page.get_by_text("unsaved changes")).to_be_visible()
    await expect(activate).to_be_disabled()
    await save(page)
    await expect(page.get_by_role("status").filter(has_text="Saved as version 2")).to_be_visible()
    await expect(activate).to_be_enabled()
