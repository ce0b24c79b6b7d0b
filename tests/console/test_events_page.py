"""The Events page: send a test event (its data prefilled from the catalog schema), see what each
listening workflow did with it, and follow the run it started."""

from __future__ import annotations

import json

from playwright.async_api import Page, expect

from tests.console.conftest import Console, shoot, sign_in

LEAD_SCORED = {
    "type": "lead.scored",
    "schema": {
        "type": "object",
        "properties": {"email": {"type": "string", "format": "email"},
                       "score": {"type": "integer", "minimum": 0}},
        "required": ["email", "score"],
    },
}  # fmt: skip
HOT_LEADS = {
    "name": "Hot leads",
    "trigger": {"type": "event", "event": "lead.scored",
                "filter": {"field": "score", "operator": "gte", "value": 80}},
    "steps": [{"id": "alert", "type": "send_email", "to": "sales@example.com",
               "subject": "Hot lead {{ email }}", "body": "Score {{ score }}"}],
}  # fmt: skip
ALL_LEADS = {
    "name": "Every scored lead",
    "trigger": {"type": "event", "event": "lead.scored"},
    "steps": [{"id": "done", "type": "end"}],
}


async def test_a_test_event_from_the_form_starts_a_run_and_shows_its_outcomes(
    page: Page, console: Console
) -> None:
    assert (await console.api.post("/v1/event-types", json=LEAD_SCORED)).status_code == 201
    await console.create(HOT_LEADS)
    await console.create(ALL_LEADS)
    await sign_in(page, console.key)
    await page.get_by_role("link", name="Events").click()
    await expect(page.get_by_text("No events yet")).to_be_visible()

    await page.get_by_label("Event type").fill("lead.scored")
    data = page.get_by_label("Data (JSON)")
    await expect(data).not_to_have_value("{}")
    prefilled = json.loads(await data.input_value())
    assert set(prefilled) == {"email", "score"}

    # The API's refusal shows with the path of the violation.
    await data.fill(json.dumps({"email": "ann@example.com", "score": "high"}))
    await page.get_by_role("button", name="Send event").click()
    refusal = page.get_by_role("alert")
    await expect(refusal).to_contain_text("The event was refused")
    await expect(refusal).to_contain_text("data.score")

    await data.fill(json.dumps({"email": "ann@example.com", "score": 91}))
    await page.get_by_label("Entity (optional)").fill("lead-7")
    await page.get_by_role("button", name="Send event").click()
    await expect(page.get_by_role("status").filter(has_text="accepted")).to_contain_text(
        "Hot leads run"
    )

    table = page.get_by_role("table", name="Recent events")
    row = table.get_by_role("row").filter(has_text="lead.scored")
    await expect(row).to_have_count(1)
    await expect(row).to_contain_text("lead-7")
    await expect(row.get_by_role("listitem").filter(has_text="Hot leads")).to_contain_text(
        "started"
    )
    await expect(row.get_by_role("listitem").filter(has_text="Every scored lead")).to_contain_text(
        "started"
    )
    await data.fill(json.dumps({"email": "bob@example.com", "score": 12}))
    await page.get_by_role("button", name="Send event").click()
    cold = table.get_by_role("row").filter(has_text="lead.scored").first
    await expect(cold.get_by_role("listitem").filter(has_text="Hot leads")).to_contain_text(
        "filtered out"
    )
    await shoot(page, "events")

    hot = table.get_by_role("row").filter(has_text="lead-7")
    await hot.get_by_role("listitem").filter(has_text="Hot leads").get_by_text("open run").click()
    step = page.get_by_role("listitem", name="Step alert")
    await expect(step).to_contain_text("completed")
    await expect(step.get_by_label("Sent Email")).to_contain_text("delivered")
    assert [m.message["Subject"] for m in console.smtp.messages] == ["Hot lead ann@example.com"]
