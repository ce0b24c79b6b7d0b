"""The builder's cron editor: a schedule trigger's next five fire times in its time zone, as
the server computes them, and its mistakes shown as typed."""

from __future__ import annotations

import re

from playwright.async_api import Page, expect

from tests.console.conftest import Console, shoot, sign_in


async def test_the_cron_editor_shows_the_next_five_runs_in_the_chosen_time_zone(
    page: Page, console: Console
) -> None:
    await sign_in(page, console.key)
    await page.goto("/workflows/new/builder")
    canvas = page.get_by_role("figure", name="Canvas")
    panel = page.get_by_role("complementary", name="Node settings")
    await canvas.get_by_label("Trigger (event)").focus()
    await page.keyboard.press("Enter")
    await panel.get_by_label("type", exact=True).select_option("schedule")
    await expect(panel.get_by_label("event", exact=True)).to_have_count(0)
    await panel.get_by_label("or pick").select_option("0 9 * * MON-FRI")
    await expect(panel.get_by_label("cron", exact=True)).to_have_value("0 9 * * MON-FRI")
    await panel.get_by_label("time zone").fill("Asia/Tokyo")
    runs = panel.get_by_role("region", name="Next runs")
    await expect(runs).to_contain_text("Next runs (Asia/Tokyo)")
    items = runs.get_by_role("listitem")
    await expect(items).to_have_count(5)
    for text in await items.all_inner_texts():
        assert re.match(r"(Mon|Tue|Wed|Thu|Fri), .* 09:00 GMT\+9$", text), text
    await shoot(page, "builder-cron")

    await panel.get_by_label("cron", exact=True).fill("0 25 * * *")
    await expect(runs).to_contain_text("hour: 25 is out of range")
    await expect(items).to_have_count(0)
