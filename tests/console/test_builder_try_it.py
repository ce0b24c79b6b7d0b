"""The builder's Try it panel with scripted later events and mocked outputs, and the live
preview under template fields, in a real browser against the real stack."""

from __future__ import annotations

import json

from playwright.async_api import Page, expect

from tests.console.conftest import Console, shoot, sign_in

CONTACT = {"contact": {"email": "ann@example.com", "first_name": "Ann"}}
WELCOME = {
    "name": "Welcome campaign",
    "trigger": {"event": "contact.created", "sample": CONTACT},
    "nodes": [
        {"id": "welcome", "type": "send_email", "to": "{{ contact.email }}",
         "subject": "Welcome, {{ contact.first_name }}", "body": "Glad you are here."},
        {"id": "opened", "type": "wait_for_event", "event": "email.opened", "timeout": "2d"},
        {"id": "tips", "type": "send_email", "to": "{{ contact.email }}",
         "subject": "Our best tips", "body": "Since you opened the first one."},
        {"id": "nudge", "type": "send_email", "to": "{{ contact.email }}",
         "subject": "Did you miss this?", "body": "Here it is again."},
        {"id": "engaged", "type": "goal", "condition": {"field": "purchased", "operator": "eq",
                                                         "value": True}},
    ],
    "edges": [
        {"from": "trigger", "to": "welcome"}, {"from": "welcome", "to": "opened"},
        {"from": "opened", "to": "tips", "when": "received"},
        {"from": "opened", "to": "nudge", "when": "timeout"},
        {"from": "tips", "to": "engaged"}, {"from": "nudge", "to": "engaged"},
    ],
}  # fmt: skip

SCORING = {
    "name": "Lead scoring",
    "trigger": {"event": "contact.created", "sample": CONTACT},
    "nodes": [
        {"id": "score", "type": "http_request", "method": "GET",
         "url": "https://scores.example/v1/{{ contact.email }}"},
        {"id": "hot", "type": "condition",
         "condition": {"field": "steps.score.output.json.score", "operator": "gt", "value": 5}},
        {"id": "call", "type": "send_email", "to": "sales@example.com", "subject": "Call them",
         "body": "A hot lead: {{ contact.email }}"},
        {"id": "later", "type": "send_email", "to": "{{ contact.email }}", "subject": "Stay tuned",
         "body": "More soon."},
    ],
    "edges": [
        {"from": "trigger", "to": "score"}, {"from": "score", "to": "hot"},
        {"from": "hot", "to": "call", "when": "true"}, {"from": "hot", "to": "later", "when": "false"},
        {"from": "score", "to": "later", "when": "error"},
    ],
}  # fmt: skip


async def open_builder(page: Page, console: Console, document: dict[str, object]) -> None:
    created = await console.create(document, active=False)
    await sign_in(page, console.key)
    await page.goto(f"/workflows/{created['id']}/builder")
    await expect(page.get_by_role("heading", name="Edit workflow")).to_be_visible()


async def test_a_scripted_email_opened_event_takes_the_opened_branch_else_the_timeout(
    page: Page, console: Console
) -> None:
    await open_builder(page, console, WELCOME)
    canvas = page.get_by_role("figure", name="Canvas")
    timeline = page.get_by_role("list", name="Simulated steps")

    # Nobody opens the email: the wait times out after two days and the nudge goes out.
    await page.get_by_role("button", name="Simulate").click()
    opened = timeline.get_by_role("listitem", name="Step opened")
    await expect(opened).to_contain_text("Timed out after P2D: no email.opened came")
    await expect(timeline.get_by_role("listitem", name="Step nudge")).to_contain_text(
        "Did you miss this?"
    )
    await expect(timeline.get_by_role("listitem", name="Step tips")).to_have_count(0)
    await expect(canvas.locator(".react-flow__node[data-id=nudge] .on-path")).to_have_count(1)

    # The contact opens it a day later: the wait receives it and the tips go out then.
    events = page.get_by_role("group", name="Later events")
    await events.get_by_role("button", name="Add a later event").click()
    row = events.get_by_role("group", name="Later event 1")
    await row.get_by_label("type").fill("email.opened")
    await row.get_by_label("when").fill("1d")
    await row.get_by_label("data").fill('{"email_id": "welcome"}')
    await page.get_by_role("button", name="Simulate").click()
    arrival = timeline.get_by_role("listitem", name="Event email.opened arrived")
    await expect(arrival).to_contain_text("after P1D")
    await expect(opened).to_contain_text("Received email.opened after P1D")
    tips = timeline.get_by_role("listitem", name="Step tips")
    await expect(tips).to_contain_text("after P1D")
    await expect(tips).to_contain_text("Our best tips")
    await expect(timeline.get_by_role("listitem", name="Step nudge")).to_have_count(0)
    await expect(canvas.locator(".react-flow__node[data-id=tips] .on-path")).to_have_count(1)
    await expect(canvas.locator(".react-flow__node[data-id=nudge] .on-path")).to_have_count(0)
    # The arrival is listed before the step it woke.
    entries = await timeline.get_by_role("listitem").all_inner_texts()
    assert [i for i, t in enumerate(entries) if "email.opened" in t and "event arrived" in t] == [
        next(i for i, t in enumerate(entries) if t.startswith("tips")) - 1
    ]
    await shoot(page, "builder-try-it-event")

    # The inputs stay while the draft is edited; removing the event brings the timeout back.
    await page.get_by_label("Name", exact=True).fill("Welcome campaign, v2")
    await expect(row.get_by_label("type")).to_have_value("email.opened")
    await events.get_by_role("button", name="Remove later event 1").click()
    await page.get_by_role("button", name="Simulate").click()
    await expect(opened).to_contain_text("Timed out after P2D")


async def test_a_mocked_http_output_drives_the_condition_branch(
    page: Page, console: Console
) -> None:
    await open_builder(page, console, SCORING)
    timeline = page.get_by_role("list", name="Simulated steps")

    # A simulated success has no score: the lead is not hot.
    await page.get_by_role("button", name="Simulate").click()
    await expect(timeline.get_by_role("listitem", name="Step hot")).to_contain_text("Result: false")
    await expect(timeline.get_by_role("listitem", name="Step later")).to_be_visible()

    # The scoring service answers 9, mocked: the condition takes its true branch.
    mocks = page.get_by_role("group", name="Mocked outputs")
    await mocks.get_by_role("button", name="Mock an action's output").click()
    mock = mocks.get_by_role("group", name="Mocked output 1")
    await expect(mock.get_by_label("step")).to_have_value("score")
    await mock.get_by_label("output (JSON)").fill('{"status": 200, "json": {"score": 9}}')
    await page.get_by_role("button", name="Simulate").click()
    score = timeline.get_by_role("listitem", name="Step score")
    await expect(score).to_contain_text("mocked output")
    await expect(score).to_contain_text('"score": 9')
    await expect(timeline.get_by_role("listitem", name="Step hot")).to_contain_text("Result: true")
    await expect(timeline.get_by_role("listitem", name="Step call")).to_contain_text(
        "A hot lead: ann@example.com"
    )
    await expect(timeline.get_by_role("listitem", name="Step later")).to_have_count(0)
    await shoot(page, "builder-try-it-mock")

    # Not JSON: said before anything is simulated.
    await mock.get_by_label("output (JSON)").fill("{score: 9")
    await page.get_by_role("button", name="Simulate").click()
    await expect(page.get_by_text("The mocked output of score is not JSON.")).to_be_visible()

    # The scoring service fails, mocked: the run takes the step's error edge.
    await mock.get_by_label("result").select_option("fails")
    await mock.get_by_label("error message").fill("Scoring service down")
    await page.get_by_role("button", name="Simulate").click()
    await expect(score).to_contain_text("mocked failure")
    await expect(score).to_contain_text("Failed: Scoring service down")
    await expect(timeline.get_by_role("listitem", name="Step hot")).to_have_count(0)
    await expect(timeline.get_by_role("listitem", name="Step later")).to_be_visible()
    await expect(page.get_by_label("Simulation", exact=True)).to_contain_text("path score → later")
    await shoot(page, "builder-try-it-failure")


async def test_a_template_field_previews_its_text_and_its_error_as_it_is_typed(
    page: Page, console: Console
) -> None:
    await sign_in(page, console.key)
    await page.goto("/workflows/new/builder")
    canvas = page.get_by_role("figure", name="Canvas")
    panel = page.get_by_role("complementary", name="Node settings")
    await canvas.get_by_label("Trigger (event)").click()
    await panel.get_by_label("event", exact=True).fill("booking.created")
    palette = page.get_by_role("navigation", name="Node types")
    await palette.get_by_role("button", name="send_email", exact=True).press("Enter")
    await expect(panel.get_by_role("heading", name="send_email_1")).to_be_visible()

    # Against the sample data Try it simulates with (the catalog's booking fields) ...
    subject = panel.get_by_label("subject", exact=True)
    preview = panel.get_by_role("status", name="Preview of subject")
    await subject.fill("See you, {{ invitee_name }} ({{ invitee_domain }})")
    await expect(preview.locator("output")).to_have_text("See you, invitee name (example.com)")
    # ... or the data typed there.
    await page.get_by_label("Event data").fill(json.dumps({"invitee": {"name": "Ann Lee"}}))
    await subject.fill("See you, {{ invitee.name }}")
    await expect(preview).to_contain_text("See you, Ann Lee")
    await preview.scroll_into_view_if_needed()
    await shoot(page, "builder-template-preview")

    # A broken template shows the renderer's message; so does one over its bounds.
    await subject.press_sequentially(" {{ invitee.name")
    await expect(preview).to_contain_text("syntax error on line 1")
    await expect(preview.locator(".field-problem")).to_be_visible()
    await preview.scroll_into_view_if_needed()
    await shoot(page, "builder-template-preview-error")
    await subject.fill("{{ 'x' * 10**9 }}")
    await expect(preview).to_contain_text("repetition would exceed the output limit")
    # Fixed, the text is back; plain text has no preview.
    await subject.fill("Hello {{ invitee.name }}")
    await expect(preview).to_contain_text("Hello Ann Lee")
    await subject.fill("Hello")
    await expect(preview).to_have_count(0)
