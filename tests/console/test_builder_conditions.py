"""The builder's condition widget, by mouse and keyboard only: rules and nested all/any/not
groups, fields picked from the event catalog, operators and value inputs by the field's kind,
the server's warnings on the rule they concern, and the JSON toggle that keeps any shape."""

from __future__ import annotations

import json
from typing import Any

from playwright.async_api import Locator, Page, expect

from tests.console.conftest import Console, save, shoot, sign_in

SIGNUP = {
    "type": "signup.completed",
    "description": "Someone finished signing up",
    "schema": {
        "type": "object",
        "properties": {
            "plan": {"type": "string", "enum": ["free", "pro", "team"]},
            "country": {"type": "string"},
            "trial": {"type": "boolean"},
            "seats": {"type": "integer"},
            "email": {"type": "string"},
        },
    },
    "derived": {"big_team": "{{ seats > 10 }}"},
}


async def new_draft(page: Page, console: Console, event: str) -> tuple[Locator, Locator]:
    """A new workflow whose trigger is ``event``; the canvas and the settings panel."""
    await sign_in(page, console.key)
    await page.goto("/workflows/new/builder")
    canvas = page.get_by_role("figure", name="Canvas")
    panel = page.get_by_role("complementary", name="Node settings")
    await canvas.get_by_label("Trigger (event)").focus()
    await page.keyboard.press("Enter")
    await panel.get_by_label("event", exact=True).fill(event)
    return canvas, panel


async def add(page: Page, node_type: str) -> None:
    palette = page.get_by_role("navigation", name="Node types")
    await palette.get_by_role("button", name=node_type, exact=True).press("Enter")


async def document(page: Page) -> dict[str, Any]:
    """The draft as the JSON view shows it (and back to the canvas)."""
    await page.get_by_role("button", name="JSON", exact=True).click()
    text = await page.get_by_label("Definition (JSON)").input_value()
    await page.get_by_role("button", name="Canvas", exact=True).click()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


async def stored(console: Console, page: Page) -> dict[str, Any]:
    await save(page)
    await expect(page.get_by_role("heading", name="Edit workflow")).to_be_visible()
    workflow_id = page.url.split("/workflows/")[1].split("/")[0]
    exported: dict[str, Any] = (await console.api.get(f"/v1/workflows/{workflow_id}/export")).json()
    return exported


async def test_a_nested_condition_is_built_from_the_catalogs_fields_with_typed_inputs(
    page: Page, console: Console
) -> None:
    assert (await console.api.post("/v1/event-types", json=SIGNUP)).status_code == 201
    canvas, panel = await new_draft(page, console, "signup.completed")
    await add(page, "condition")
    builder = panel.get_by_role("group", name="condition", exact=True)
    await expect(builder.get_by_text("No rules yet")).to_be_visible()

    # plan == "pro": the field's enum is offered as a choice.
    await builder.get_by_role("button", name="Add a rule to Conditions").click()
    rule = builder.get_by_role("group", name="Rule 1", exact=True)
    await rule.get_by_label("Field", exact=True).fill("plan")
    await expect(rule.get_by_text("plan is text (event)")).to_be_visible()
    await rule.get_by_label("Value", exact=True).select_option("pro")

    # (country in [DE, FR] OR NOT trial)
    await builder.get_by_role("button", name="Add a group to Conditions").click()
    group = builder.get_by_role("group", name="Group 2", exact=True)
    await expect(group.get_by_label("Match (Group 2)")).to_have_value("or")
    country = group.get_by_role("group", name="Rule 2.1", exact=True)
    await country.get_by_label("Field", exact=True).fill("country")
    await country.get_by_label("Operator", exact=True).select_option(label="is one of")
    for value in ("DE", "FR"):
        await country.get_by_label("Add a value", exact=True).fill(value)
        await country.get_by_label("Add a value", exact=True).press("Enter")
    await expect(country.get_by_role("list", name="Values")).to_have_text("DE✕FR✕")
    await group.get_by_role("button", name="Add a rule to Group 2").click()
    trial = group.get_by_role("group", name="Rule 2.2", exact=True)
    await trial.get_by_label("Field", exact=True).fill("trial")
    # A boolean's operators: no "contains", no "is greater than".
    operators = await trial.get_by_label("Operator", exact=True).locator("option").all_inner_texts()
    assert "equals" in operators and "contains" not in operators
    assert "is greater than" not in operators
    await trial.get_by_label("Value", exact=True).select_option("true")
    await trial.get_by_role("button", name="Not (Rule 2.2)").click()
    await expect(trial.get_by_role("button", name="Not (Rule 2.2)")).to_have_attribute(
        "aria-pressed", "true"
    )

    # A number's operators and input; a derived field is typed by what it gives.
    await builder.get_by_role("button", name="Add a rule to Conditions").click()
    seats = builder.get_by_role("group", name="Rule 3", exact=True)
    await seats.get_by_label("Field", exact=True).fill("seats")
    await seats.get_by_label("Operator", exact=True).select_option(label="is between")
    await seats.get_by_label("From", exact=True).fill("2")
    await seats.get_by_label("To", exact=True).fill("50")
    await seats.get_by_label("Field", exact=True).fill("big_team")
    await expect(seats.get_by_text("big_team is true or false (derived)")).to_be_visible()
    await seats.get_by_role("button", name="Remove Rule 3").click()
    await expect(builder.get_by_role("group", name="Rule 3", exact=True)).to_have_count(0)

    expected = {
        "and": [
            {"field": "plan", "operator": "eq", "value": "pro"},
            {
                "or": [
                    {"field": "country", "operator": "in", "value": ["DE", "FR"]},
                    {"not": {"field": "trial", "operator": "eq", "value": True}},
                ]
            },
        ]
    }
    await expect(page.get_by_role("status", name="Validation")).to_contain_text("Valid")
    await shoot(page, "condition-builder-nested")
    built = await document(page)
    assert built["nodes"][0]["condition"] == expected
    # The server reads it as this very tree (the canonical form adds only ignore_case).
    checked = (await console.api.post("/v1/workflows/validate?canonical=true", json=built)).json()
    assert checked["valid"], checked
    assert checked["definition"]["nodes"][0]["config"]["condition"] == {
        "and": [
            {"field": "plan", "operator": "eq", "value": "pro", "ignore_case": False},
            {
                "or": [
                    {"field": "country", "operator": "in", "value": ["DE", "FR"], "ignore_case": False},
                    {"not": {"field": "trial", "operator": "eq", "value": True, "ignore_case": False}},
                ]
            },
        ]
    }  # fmt: skip

    # A field whose type the comparison cannot match (the operator was picked for text, then
    # the field changed to a number): marked in the list, and the server's warning on the rule.
    await country.get_by_label("Operator", exact=True).select_option(label="contains")
    await country.get_by_label("Value", exact=True).fill("D")
    await country.get_by_label("Field", exact=True).fill("seats")
    operator = country.get_by_label("Operator", exact=True)
    await expect(operator.locator("option:checked")).to_have_text("contains (not for number)")
    await expect(country).to_contain_text("'seats' is integer: contains compares text")
    await expect(builder.get_by_role("group", name="Rule 1", exact=True)).not_to_contain_text(
        "compares text"
    )
    await country.get_by_label("Field", exact=True).fill("country")
    await expect(country).not_to_contain_text("compares text")
    await country.get_by_label("Operator", exact=True).select_option(label="is one of")
    # The value compared so far becomes the list's first item; taken out with its button.
    await country.get_by_role("button", name="Remove D", exact=True).click()
    await country.get_by_label("Add a value", exact=True).fill("DE")
    await country.get_by_label("Add a value", exact=True).press("Enter")
    await country.get_by_label("Add a value", exact=True).fill("FR")
    await country.get_by_label("Add a value", exact=True).press("Enter")

    exported = await stored(console, page)
    assert exported["nodes"][0]["condition"] == expected
    # Reopened, the same tree shows.
    await page.reload()
    await canvas.get_by_label("condition_1 (condition)").focus()
    await page.keyboard.press("Enter")
    trial = panel.get_by_role("group", name="Rule 2.2", exact=True)
    await expect(trial.get_by_label("Field", exact=True)).to_have_value("trial")
    await expect(trial.get_by_role("button", name="Not (Rule 2.2)")).to_have_attribute(
        "aria-pressed", "true"
    )


async def test_the_welcome_campaigns_opened_condition_decides_its_two_branches(
    page: Page, console: Console
) -> None:
    canvas, panel = await new_draft(page, console, "contact.created")
    await page.get_by_label("Name", exact=True).fill("Welcome campaign")
    await add(page, "send_email")
    await panel.get_by_label("to", exact=True).fill("{{ contact.email }}")
    await panel.get_by_label("subject", exact=True).fill("Welcome!")
    await panel.get_by_label("body", exact=True).fill("Glad you are here.")
    await add(page, "wait")
    await panel.get_by_label("duration", exact=True).fill("2")
    await panel.get_by_label("duration unit").select_option("d")
    await add(page, "condition")
    builder = panel.get_by_role("group", name="condition", exact=True)
    await builder.get_by_role("button", name="Add a rule to Conditions").click()
    rule = builder.get_by_role("group", name="Rule 1", exact=True)
    # The picker offers the steps that run before the condition, not the ones after it.
    offered = rule.locator("datalist option")
    await expect(offered.and_(rule.locator("[value='steps.send_email_1.output']"))).to_have_count(1)
    await expect(offered.and_(rule.locator("[value='steps.wait_1.output']"))).to_have_count(1)
    # "Opened the welcome email": the email.opened handler tags the contact.
    await rule.get_by_label("Field", exact=True).fill("contact.tags")
    await expect(rule.get_by_text("contact.tags is a list (event)")).to_be_visible()
    await rule.get_by_label("Operator", exact=True).select_option(label="contains")
    await rule.get_by_label("Value", exact=True).fill("opened-welcome")
    await add(page, "send_email")
    await panel.get_by_label("to", exact=True).fill("{{ contact.email }}")
    await panel.get_by_label("subject", exact=True).fill("Our best tips")
    await panel.get_by_label("body", exact=True).fill("Since you opened the first one.")
    await add(page, "goal")
    goal = panel.get_by_role("group", name="condition", exact=True)
    await goal.get_by_role("button", name="Add a rule to Conditions").click()
    reached = goal.get_by_role("group", name="Rule 1", exact=True)
    await reached.get_by_label("Field", exact=True).fill("contact.score")
    await reached.get_by_label("Operator", exact=True).select_option(label="is at least")
    await reached.get_by_label("Value", exact=True).fill("80")

    await canvas.get_by_label("condition_1 (condition)").focus()
    await page.keyboard.press("Enter")
    for target, label in (("send_email_2", "true"), ("goal_1", "false")):
        await panel.get_by_label("Connect to").select_option(target)
        await panel.get_by_label("Edge label").select_option(label)
        await panel.get_by_role("button", name="Connect").click()
    await expect(page.get_by_role("status", name="Validation")).to_contain_text("✓ Valid")

    exported = await stored(console, page)
    nodes = {n["id"]: n for n in exported["nodes"]}
    assert nodes["condition_1"]["condition"] == {
        "field": "contact.tags",
        "operator": "contains",
        "value": "opened-welcome",
    }
    assert nodes["goal_1"]["condition"] == {
        "field": "contact.score",
        "operator": "gte",
        "value": 80,
    }
    assert [(e["from"], e["to"], e.get("when")) for e in exported["edges"]][-2:] == [
        ("condition_1", "send_email_2", "true"),
        ("condition_1", "goal_1", "false"),
    ]


async def test_the_json_toggle_keeps_a_shape_the_builder_cannot_show_unchanged(
    page: Page, console: Console
) -> None:
    canvas, panel = await new_draft(page, console, "contact.created")
    await add(page, "condition")
    # Groups of rules (another accepted shape), an alias, a key the builder does not know.
    odd: list[Any] = [
        {
            "operator": "OR",
            "rules": [{"field": "contact.score", "operator": "greater_than", "value": 50}],
        },
        {"field": "contact.name", "operator": "starts_with", "value": "A", "note": "VIPs"},
    ]
    editor = panel.get_by_role("group", name="condition editor")
    await editor.get_by_role("button", name="Edit condition as JSON").click()
    await panel.get_by_label("condition", exact=True).fill(json.dumps(odd))
    await panel.get_by_label("condition", exact=True).blur()
    await editor.get_by_role("button", name="Edit condition in the builder").click()
    builder = panel.get_by_role("group", name="condition", exact=True)
    # The list shows as one part in JSON (the builder cannot show it), nothing rewritten.
    await expect(builder.get_by_label("Part 1 (JSON)")).to_be_visible()
    await editor.get_by_role("button", name="Edit condition as JSON").click()
    await expect(panel.get_by_label("condition", exact=True)).to_have_value(
        json.dumps(odd, indent=2)
    )
    await editor.get_by_role("button", name="Edit condition in the builder").click()
    assert (await document(page))["nodes"][0]["condition"] == odd

    # A leaf with an alias and an unknown key, edited in the builder: the key stays in place.
    await editor.get_by_role("button", name="Edit condition as JSON").click()
    await panel.get_by_label("condition", exact=True).fill(json.dumps(odd[1]))
    await panel.get_by_label("condition", exact=True).blur()
    await editor.get_by_role("button", name="Edit condition in the builder").click()
    rule = panel.get_by_role("group", name="Rule 1", exact=True)
    await expect(rule.get_by_label("Operator", exact=True)).to_have_value("startswith")
    await rule.get_by_label("Value", exact=True).fill("B")
    condition = (await document(page))["nodes"][0]["condition"]
    assert list(condition.items()) == [
        ("field", "contact.name"), ("operator", "starts_with"), ("value", "B"), ("note", "VIPs"),
    ]  # fmt: skip
    await shoot(page, "condition-builder-json")


async def test_a_switchs_cases_and_a_wait_for_events_condition_use_the_builder_too(
    page: Page, console: Console
) -> None:
    canvas, panel = await new_draft(page, console, "contact.created")
    await add(page, "wait_for_event")
    await panel.get_by_label("event", exact=True).fill("email.opened")
    # Its condition reads the awaited event: that event's fields come first.
    builder = panel.get_by_role("group", name="condition", exact=True)
    await builder.get_by_role("button", name="Add a rule to Conditions").click()
    rule = builder.get_by_role("group", name="Rule 1", exact=True)
    await rule.get_by_label("Field", exact=True).fill("link_url")
    await expect(rule.get_by_text("link_url is text (awaited event)")).to_be_visible()
    await rule.get_by_label("Operator", exact=True).select_option(label="contains")
    await rule.get_by_label("Value", exact=True).fill("pricing")

    await add(page, "switch")
    await panel.get_by_role("button", name="+ Add to cases").click()
    case = panel.get_by_role("group", name="cases 1", exact=True)
    await case.get_by_label("name", exact=True).fill("vip")
    when = case.get_by_role("group", name="when", exact=True)
    await when.get_by_role("button", name="Add a rule to Conditions").click()
    score = when.get_by_role("group", name="Rule 1", exact=True)
    await score.get_by_label("Field", exact=True).fill("contact.score")
    await score.get_by_label("Operator", exact=True).select_option(label="is at least")
    await score.get_by_label("Value", exact=True).fill("90")
    # A case's comparison the schema refuses: the server's warning on that case's rule.
    await score.get_by_label("Field", exact=True).fill("contact.scor")
    await expect(score).to_contain_text("'contact.scor' is not a field of contact.created")
    await score.get_by_label("Field", exact=True).fill("contact.score")
    await expect(score).not_to_contain_text("is not a field")
    await shoot(page, "condition-builder-cases")

    built = await document(page)
    nodes = {n["id"]: n for n in built["nodes"]}
    assert nodes["wait_for_event_1"]["condition"] == {
        "field": "link_url",
        "operator": "contains",
        "value": "pricing",
    }
    assert nodes["switch_1"]["cases"] == [
        {"name": "vip", "when": {"field": "contact.score", "operator": "gte", "value": 90}}
    ]
