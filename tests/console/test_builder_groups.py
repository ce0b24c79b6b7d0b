"""Loops and parallel branches on the builder's canvas: a for_each's body drawn inside a frame
titled with the loop, a parallel's branches as lanes of a frame that joins; a step dropped into
a loop's body or beside a parallel's lanes joins it; the stored document is what was drawn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.async_api import Locator, Page, expect

from tests.console.conftest import Console, save, shoot, sign_in
from tests.console.test_builder_editing import document
from tests.helpers.polling import eventually

ORDERS: dict[str, Any] = {
    "name": "Order fan-out",
    "trigger": {"type": "event", "event": "order.created"},
    "nodes": [
        {"id": "each_line", "type": "for_each", "config": {"items": "{{ lines }}", "as": "line"}},
        {"id": "reserve", "type": "http_request",
         "config": {"url": "https://stock.example/reserve", "method": "POST", "body": {"sku": "{{ line.sku }}"}}},
        {"id": "tally", "type": "set", "config": {"values": {"reserved": "{{ line.sku }}"}}},
        {"id": "fan_out", "type": "parallel", "config": {"join": "all"}},
        {"id": "thank", "type": "send_email",
         "config": {"to": "{{ email }}", "subject": "Thanks", "body": "Your order is on its way."}},
        {"id": "tell_team", "type": "slack", "config": {"url": "https://hooks.example/T", "text": "New order"}},
        {"id": "done", "type": "stop"},
    ],
    "edges": [
        {"from": "trigger", "to": "each_line"},
        {"from": "each_line", "to": "reserve", "when": "body"},
        {"from": "reserve", "to": "tally"},
        {"from": "each_line", "to": "fan_out"},
        {"from": "fan_out", "to": "thank", "when": "branch"},
        {"from": "fan_out", "to": "tell_team", "when": "branch"},
        {"from": "fan_out", "to": "done"},
    ],
}  # fmt: skip


async def box(locator: Locator) -> dict[str, float]:
    found = await locator.bounding_box()
    assert found, f"{locator} is not drawn"
    return found


def inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        outer["x"] <= inner["x"]
        and outer["y"] <= inner["y"]
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"]
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"]
    )


async def test_a_loop_and_a_parallel_are_drawn_as_labelled_groups_and_take_dropped_steps(
    page: Page, console: Console, tmp_path: Path
) -> None:
    await sign_in(page, console.key)
    await page.goto("/workflows/new/builder")
    file = tmp_path / "orders.json"
    file.write_text(json.dumps(ORDERS))
    await page.get_by_label("Import").set_input_files(file)
    canvas = page.get_by_role("figure", name="Canvas")

    def node(node_id: str) -> Locator:
        return canvas.locator(f'.react-flow__node-builder[data-id="{node_id}"]')

    loop = canvas.get_by_role("group", name="for each line in {{ lines }}")
    parallel = canvas.get_by_role("group", name="fan_out: branches at once")
    lane_1 = canvas.get_by_role("group", name="branch 1")
    lane_2 = canvas.get_by_role("group", name="branch 2")
    await expect(loop).to_be_visible()
    await expect(parallel).to_contain_text("joins when every branch has ended")

    # The body inside the loop's frame, the loop node above it; each branch in its own lane,
    # the lanes side by side in the parallel's frame, the step after the join below it.
    async def drawn_as_groups() -> bool:
        frame = await box(loop)
        fan = await box(parallel)
        lanes = [await box(lane_1), await box(lane_2)]
        return (
            inside(await box(node("reserve")), frame)
            and inside(await box(node("tally")), frame)
            and not inside(await box(node("each_line")), frame)
            and inside(await box(node("thank")), lanes[0])
            and inside(await box(node("tell_team")), lanes[1])
            and all(inside(lane, fan) for lane in lanes)
            and lanes[0]["x"] + lanes[0]["width"] <= lanes[1]["x"]
            and (await box(node("done")))["y"] >= fan["y"] + fan["height"]
        )

    await eventually(drawn_as_groups, timeout=10, what="the body and branches inside their frames")
    await shoot(page, "builder-groups")
    imported = await document(page)
    assert [n["id"] for n in imported["nodes"]] == [n["id"] for n in ORDERS["nodes"]]
    assert imported["edges"] == ORDERS["edges"]

    # A step dropped into the loop's frame, below its last step, joins the body there.
    palette = page.get_by_role("navigation", name="Node types")
    frame, area = await box(loop), await box(canvas)
    await palette.get_by_role("button", name="add_note", exact=True).drag_to(
        canvas,
        target_position={
            "x": frame["x"] + frame["width"] / 2 - area["x"],
            "y": frame["y"] + frame["height"] - 12 - area["y"],
        },
    )
    await expect(canvas.get_by_label("edge tally to add_note_1", exact=True)).to_have_count(1)
    panel = page.get_by_role("complementary", name="Node settings")
    await panel.get_by_label("note", exact=True).fill("Reserved {{ line.sku }}")
    await eventually(
        lambda: inside_now(node("add_note_1"), loop), timeout=10, what="the new step in the loop"
    )
    # One dropped beside the parallel's lanes starts a branch of its own.
    fan, area = await box(parallel), await box(canvas)
    await palette.get_by_role("button", name="slack", exact=True).drag_to(
        canvas,
        target_position={
            "x": fan["x"] + fan["width"] - 70 - area["x"],
            "y": fan["y"] + fan["height"] / 2 - area["y"],
        },
    )
    branch = canvas.get_by_label("edge fan_out to slack_1 (branch)", exact=True)
    await expect(branch).to_have_count(1)
    await expect(canvas.get_by_role("group", name="branch 3")).to_be_visible()
    await panel.get_by_label("url", exact=True).fill("https://hooks.example/ops")
    await panel.get_by_label("text", exact=True).fill("Order in")
    await eventually(
        lambda: inside_now(node("slack_1"), canvas.get_by_role("group", name="branch 3")),
        timeout=10,
        what="the new branch's lane around its step",
    )
    await shoot(page, "builder-groups-dropped")

    drawn = await document(page)
    assert drawn["edges"] == [
        *ORDERS["edges"],
        {"from": "tally", "to": "add_note_1"},
        {"from": "fan_out", "to": "slack_1", "when": "branch"},
    ]
    # Deleting the body's new step takes it (and its edge) out of the loop; undo puts it back.
    await node("add_note_1").click()
    await page.keyboard.press("Delete")
    await expect(node("add_note_1")).to_have_count(0)
    await page.keyboard.press("Control+z")
    await expect(node("add_note_1")).to_have_count(1)
    assert await document(page) == drawn

    # Saved, the stored document is the one drawn: no frames, only nodes and edges.
    await save(page)
    await expect(page.get_by_role("heading", name="Edit workflow")).to_be_visible()
    workflow_id = page.url.split("/workflows/")[1].split("/")[0]
    exported = (await console.api.get(f"/v1/workflows/{workflow_id}/export")).json()
    assert exported == drawn


async def inside_now(inner: Locator, outer: Locator) -> bool:
    return inside(await box(inner), await box(outer))
