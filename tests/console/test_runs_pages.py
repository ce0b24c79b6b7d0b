"""Runs: the list across workflows with its filters, and a run's page — its steps appearing
live, what its email step sent, its path on the graph, cancel and retry."""

from __future__ import annotations

from typing import Any

from playwright.async_api import Page, expect

from tests.console.conftest import Console, ended, shoot, sign_in
from tests.helpers.peers import unused_port

ONBOARDING = {
    "name": "Onboarding",
    "trigger": {"type": "event", "event": "signup.created", "entity": "{{ user_id }}"},
    "steps": [
        {"id": "hello", "type": "send_email", "to": "{{ email }}",
         "subject": "Welcome, {{ name }}", "body": "Glad to have you, {{ name }}.",
         "html": "<h1>Welcome aboard, {{ name }}</h1>"},
        {"id": "profile", "type": "wait_for_event", "event": "profile.completed", "timeout": "P7D"},
        {"id": "tips", "type": "send_email", "to": "{{ email }}", "subject": "Three tips",
         "body": "Here they are."},
    ],
}  # fmt: skip


def booking(url: str) -> dict[str, Any]:
    return {
        "name": "Book the order",
        "trigger": {"type": "event", "event": "order.paid", "entity": "{{ order_id }}"},
        "steps": [
            {"id": "book", "type": "http_request", "url": url, "retry": {"max_attempts": 1},
             "on_error": "stop"},
        ],
    }  # fmt: skip


async def test_a_runs_steps_appear_live_and_a_waiting_run_can_be_cancelled(
    page: Page, console: Console
) -> None:
    await console.create(ONBOARDING)
    await sign_in(page, console.key)
    [run_id] = await console.send(
        "signup.created", {"user_id": "u1", "email": "ann@example.com", "name": "Ann"}
    )
    await page.get_by_role("link", name="Runs", exact=True).click()
    await page.get_by_role("link", name=run_id).click()
    await expect(page.get_by_role("heading", name=f"Run {run_id}")).to_be_visible()

    steps = page.get_by_role("list", name="Steps")
    hello = steps.get_by_role("listitem", name="Step hello")
    await expect(hello).to_contain_text("completed")
    sent = hello.get_by_label("Sent Email")
    await expect(sent).to_contain_text("Email delivered")
    # What was sent, as it went out: the recipient, the rendered subject, text and HTML.
    await expect(sent).to_contain_text("ann@example.com")
    await expect(sent).to_contain_text("Welcome, Ann")
    await expect(sent).to_contain_text("Glad to have you, Ann.")
    html = sent.frame_locator("iframe[title='HTML of the email as sent']")
    await expect(html.get_by_role("heading", name="Welcome aboard, Ann")).to_be_visible()
    await expect(steps.get_by_role("listitem", name="Step profile")).to_contain_text("waiting")
    await expect(page.get_by_role("figure", name="Path of this run")).to_be_visible()
    temporal = page.get_by_role("link", name="Open in the Temporal UI")
    assert (await temporal.get_attribute("href") or "").endswith(
        f":8233/namespaces/default/workflows/{run_id}"
    )
    assert [m.message["Subject"] for m in console.smtp.messages] == ["Welcome, Ann"]
    await shoot(page, "run-waiting")

    # The event it waits for arrives: the page shows the next steps within a second or two.
    await console.send("profile.completed", {}, entity="u1")
    await expect(steps.get_by_role("listitem", name="Step tips")).to_contain_text(
        "completed", timeout=3_000
    )
    await expect(page.get_by_text("completed").first).to_be_visible()

    [second] = await console.send(
        "signup.created", {"user_id": "u2", "email": "bob@example.com", "name": "Bob"}
    )
    await page.goto(f"/runs/{second}")
    await expect(page.get_by_role("listitem", name="Step profile")).to_contain_text("waiting")
    await page.get_by_role("button", name="Cancel run").click()
    await expect(page.get_by_role("listitem", name="Step profile")).to_contain_text("cancelled")
    await expect(page.get_by_role("button", name="Retry run")).to_be_visible()
    assert (await console.api.get(f"/v1/runs/{second}")).json()["status"] == "cancelled"


async def test_a_failed_run_shows_its_error_and_can_be_retried(
    page: Page, console: Console
) -> None:
    await console.create(booking(f"http://127.0.0.1:{unused_port()}/book"))
    [failed] = await console.send("order.paid", {"order_id": "o1"})
    await console.wait_run(failed, ended)
    await sign_in(page, console.key)

    await page.goto("/runs")
    await page.get_by_label("Status").select_option("failed")
    table = page.get_by_role("table", name="Runs")
    await expect(table.get_by_role("row")).to_have_count(2)
    await expect(table).to_contain_text("Book the order")
    await shoot(page, "runs")
    await table.get_by_role("link", name=failed).click()

    book = page.get_by_role("listitem", name="Step book")
    await expect(book).to_contain_text("failed")
    await expect(book.get_by_role("note")).to_be_visible()  # the step's error
    await expect(page.get_by_role("alert")).to_contain_text("The run failed")
    await shoot(page, "run-failed")
    await page.get_by_role("button", name="Retry run").click()
    await expect(page.get_by_text(f"retry of {failed}")).to_be_visible()
    retried = page.url.rsplit("/", 1)[1]
    assert retried != failed
    assert (await console.wait_run(retried, ended))["retry_of"] == failed
