"""A workflow's page: its flow drawn from /graph with per-node visits and branch shares, a node's
configuration and figures, its runs, and its versions compared and rolled back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from playwright.async_api import Page, expect

from runs.recovery import Recoverer
from tests.console.conftest import Console, ended, shoot, sign_in

WELCOME = {
    "name": "Welcome by tier",
    "trigger": {"type": "event", "event": "customer.created", "entity": "{{ customer_id }}"},
    "nodes": [
        {"id": "check", "type": "condition",
         "condition": {"field": "vip", "operator": "eq", "value": True}},
        {"id": "vip_mail", "type": "send_email", "to": "{{ email }}", "subject": "Welcome, VIP", "body": "Hi"},
        {"id": "mail", "type": "send_email", "to": "{{ email }}", "subject": "Welcome", "body": "Hi"},
    ],
    "edges": [
        {"from": "trigger", "to": "check"},
        {"from": "check", "to": "vip_mail", "when": "true"},
        {"from": "check", "to": "mail", "when": "false"},
    ],
}  # fmt: skip


async def test_the_flow_shows_how_runs_went_through_it(page: Page, console: Console) -> None:
    workflow = await console.create(WELCOME)
    for i, vip in enumerate([True, True, False]):
        data = {"customer_id": f"c{i}", "vip": vip, "email": f"c{i}@example.com"}
        for run_id in await console.send("customer.created", data):
            await console.wait_run(run_id, ended)

    await sign_in(page, console.key)
    await page.get_by_role("link", name="Welcome by tier").click()
    await expect(page.get_by_role("heading", name="Welcome by tier", level=1)).to_be_visible()
    figures = page.get_by_label("Last 30 days")
    await expect(figures).to_contain_text("Runs (30 days)3")
    await expect(figures).to_contain_text("Success rate100%")
    graph = page.get_by_role("figure", name="Flow of Welcome by tier")
    await expect(graph.get_by_label("check (condition): 3 visits")).to_be_visible()
    await expect(graph.get_by_label("vip_mail (send_email): 2 visits")).to_contain_text(
        "67% of runs"
    )
    await expect(graph.get_by_text("true · 2 (67%)")).to_be_visible()
    await expect(graph.get_by_text("false · 1 (33%)")).to_be_visible()

    # By keyboard: a node is a button.
    await graph.get_by_role("button", name="vip_mail (send_email): 2 visits").press("Enter")
    panel = page.get_by_role("complementary", name="Node details")
    await expect(panel.get_by_role("heading", name="vip_mail")).to_be_visible()
    await expect(panel).to_contain_text("Executed2")
    await expect(panel).to_contain_text('"subject": "Welcome, VIP"')
    await shoot(page, "workflow-flow")

    await page.get_by_role("navigation", name="Workflow").get_by_role("link", name="Runs").click()
    runs = page.get_by_role("table", name="Runs of Welcome by tier")
    await expect(runs.get_by_role("row")).to_have_count(4)
    c2 = runs.get_by_role("row").filter(has=page.get_by_role("cell", name="c2", exact=True))
    await expect(c2).to_contain_text("completed")
    await shoot(page, "workflow-runs")

    changed = {
        **WELCOME,
        "nodes": [*WELCOME["nodes"][:2], {**WELCOME["nodes"][2], "subject": "Hello"}],
    }  # type: ignore[misc, dict-item]
    assert (
        await console.api.put(f"/v1/workflows/{workflow['id']}", json=changed)
    ).status_code == 200
    await (
        page.get_by_role("navigation", name="Workflow").get_by_role("link", name="Versions").click()
    )
    await expect(page.get_by_role("row", name="v2 (latest)")).to_be_visible()
    await expect(page.get_by_label("Changes")).to_contain_text("node mail changed: subject")
    await expect(page.get_by_role("figure", name="v1").locator(".removed")).to_have_text(
        ['removed: "subject": "Welcome",']
    )
    await expect(page.get_by_role("figure", name="v2").locator(".added")).to_have_text(
        ['added: "subject": "Hello",']
    )
    await shoot(page, "workflow-versions")
    await page.get_by_role("button", name="Roll back to v1").click()
    await expect(page.get_by_role("row", name="v3 (latest)")).to_be_visible()
    exported = (await console.api.get(f"/v1/workflows/{workflow['id']}/export")).json()
    assert exported["nodes"][2]["subject"] == "Welcome"


HOOKED = {
    "name": "Form submissions",
    "trigger": {"type": "webhook", "reenroll": "once", "entity": "{{ email }}",
                "rate_limit": {"max": 100, "per": "PT1H", "over": "drop"}},
    "steps": [{"id": "done", "type": "end"}],
}  # fmt: skip


async def test_a_webhook_workflow_shows_how_it_starts_and_issues_its_url(
    page: Page, console: Console
) -> None:
    workflow = await console.create(HOOKED)
    await sign_in(page, console.key)
    await page.goto(f"/workflows/{workflow['id']}")
    starts = page.get_by_role("region", name="How it starts")
    await expect(starts).to_contain_text("when its webhook is called")
    await expect(starts).to_contain_text("once per entity")
    await expect(starts).to_contain_text("at most 100 runs per 1 h; over it, events are dropped")
    await expect(starts).to_contain_text("No URL yet.")
    await starts.get_by_role("button", name="Issue a URL").click()
    issued = starts.get_by_role("status")
    await expect(issued).to_contain_text("/v1/hooks/")
    url = (await issued.locator("code").inner_text()).strip()
    await shoot(page, "workflow-webhook")

    posted = await console.api.post(url, json={"email": "ann@example.com"})
    assert posted.status_code == 202, posted.text
    await page.get_by_role("navigation", name="Workflow").get_by_role("link", name="Runs").click()
    await expect(page.get_by_role("table", name="Runs of Form submissions")).to_contain_text(
        "ann@example.com"
    )


PAST, FUTURE = "2020-01-01T00:00:00Z", "2090-01-01T00:00:00Z"
FOLLOW_UP = {
    "name": "Follow-up",
    "trigger": {"type": "event", "event": "customer.created", "entity": "{{ customer_id }}"},
    "steps": [
        {"id": "first", "type": "wait", "until": "{{ first_at }}"},
        {"id": "hello", "type": "send_email", "to": "{{ email }}", "subject": "Hi", "body": "…"},
        {"id": "pause", "type": "wait", "until": "{{ tips_at }}"},
        {"id": "tips", "type": "send_email", "to": "{{ email }}", "subject": "Tpis", "body": "…"},
    ],
}  # fmt: skip
FIXED = {
    **FOLLOW_UP,
    "steps": [  # the first wait and its email removed, the tips' subject fixed
        {"id": "pause", "type": "wait", "until": "{{ tips_at }}"},
        {"id": "tips", "type": "send_email", "to": "{{ email }}", "subject": "Tips", "body": "…"},
    ],
}  # fmt: skip


def waiting_at(node_id: str) -> Callable[[dict[str, Any]], bool]:
    def there(run: dict[str, Any]) -> bool:
        return any(s["node_id"] == node_id and s["status"] == "waiting" for s in run["steps"])

    return there


async def test_the_versions_tab_previews_where_each_waiting_run_would_continue(
    page: Page, console: Console
) -> None:
    workflow = await console.create(FOLLOW_UP)
    runs = {}
    for customer, first_at in (("c1", PAST), ("c2", PAST), ("c3", FUTURE)):
        data = {"customer_id": customer, "email": f"{customer}@x.org", "first_at": first_at,
                "tips_at": FUTURE}  # fmt: skip
        [runs[customer]] = await console.send("customer.created", data)
    for customer, node in (("c1", "pause"), ("c2", "pause"), ("c3", "first")):
        await console.wait_run(runs[customer], waiting_at(node))
    assert (await console.api.put(f"/v1/workflows/{workflow['id']}", json=FIXED)).status_code == 200

    await sign_in(page, console.key)
    await page.get_by_role("link", name="Follow-up").click()
    await (
        page.get_by_role("navigation", name="Workflow").get_by_role("link", name="Versions").click()
    )
    await page.get_by_role("button", name="Preview").click()
    moves = page.get_by_role("table", name="Where each run would continue in v2")
    row = moves.get_by_role("row").filter(has=page.get_by_role("link", name=runs["c1"]))
    await expect(row).to_contain_text("v1")
    await expect(row.get_by_role("cell").nth(2)).to_have_text("pause")
    await expect(row).to_contain_text("keeps its time")
    stuck = moves.get_by_role("row").filter(has=page.get_by_role("link", name=runs["c3"]))
    await expect(stuck).to_contain_text("cannot move")

    # Both graphs, each node saying how many runs are there now / would continue there.
    now = page.get_by_role("figure", name="Where the runs are now (v1)")
    await expect(now.get_by_role("img", name="pause (wait): 2 runs now")).to_be_visible()
    await expect(
        now.get_by_role("img", name="first (wait): 1 run now · 1 cannot move")
    ).to_be_visible()
    await expect(now.get_by_role("img", name="tips (send_email)")).to_be_visible()
    then = page.get_by_role("figure", name="Where they would continue (v2)")
    await expect(then.get_by_role("img", name="pause (wait): 2 runs continue here")).to_be_visible()
    await expect(then.get_by_role("img", name="first (wait)")).to_have_count(0)
    await shoot(page, "workflow-migration-preview")

    # The run at the removed wait is mapped onto the kept one: now all three can move.
    await page.get_by_label("Runs at first continue at").select_option("pause")
    await page.get_by_role("button", name="Preview").click()
    await expect(then.get_by_role("img", name="pause (wait): 3 runs continue here")).to_be_visible()
    await expect(stuck).to_contain_text("pause")
    await page.get_by_role("button", name="Move 3 runs").click()
    started = page.get_by_role("status").filter(has_text="Migration m_")
    await expect(started).to_be_visible()
    migration = (await started.inner_text()).split()[1].rstrip(":")
    applied = await console.api.get(f"/v1/workflows/{workflow['id']}/migrations/{migration}")
    assert applied.json()["map"] == {"first": "pause"}  # what was previewed is what moves
    past = page.get_by_role("table", name="Past migrations")
    await expect(past.get_by_role("row").filter(has_text=migration)).to_contain_text(
        "every older version"
    )
    await shoot(page, "workflow-migrations")

    # A worker's recoverer carries the migration out; the moved run's page says how it moved.
    stop = asyncio.Event()
    recoverer = Recoverer(console.deps, tenant_id=console.tenant_id)
    recovering = asyncio.create_task(recoverer.run(stop, interval=0.1))
    try:
        await console.wait_run(runs["c1"], lambda run: bool(run.get("versions")), timeout=60)
    finally:
        stop.set()
        await recovering
    await page.goto(f"{console.url}/runs/{runs['c1']}")
    history = page.get_by_role("list", name="Version history")
    await expect(history).to_contain_text(f"v1 → v2 at node pause by migration {migration}")
    await shoot(page, "run-version-history")
