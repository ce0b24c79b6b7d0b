"""Each reference document's example workflow imports into the builder and shows as a graph:
every node of its canonical form, every edge, laid out without overlaps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from playwright.async_api import Locator, Page, expect

from definitions.loading import load_definition
from tests.console.conftest import Console, shoot, sign_in
from tests.console.test_builder_groups import inside_now
from tests.definitions.test_seed_examples import (
    ERP_WORKFLOW,
    MARKETING_WORKFLOW,
    MEETING_WORKFLOWS,
    SCHEDULING_WORKFLOW,
)
from tests.helpers.polling import eventually

FIXTURES = Path(__file__).parent.parent / "fixtures" / "seed_examples"


def examples() -> dict[str, dict[str, Any]]:
    """Every whole workflow of the reference documents (the ERP one with its elided nodes
    left empty, as tests/definitions/test_seed_fixtures.py reads it)."""
    elided = json.loads((FIXTURES / "003_erp_03.txt").read_text().replace("[...]", "[]"))
    return {
        "scheduling": SCHEDULING_WORKFLOW,
        "marketing": MARKETING_WORKFLOW,
        "erp": ERP_WORKFLOW,
        "erp-elided": elided,
        **{f"meeting-{key}": document for key, document in MEETING_WORKFLOWS.items()},
    }


async def test_each_reference_example_imports_as_a_readable_graph(
    page: Page, console: Console, tmp_path: Path
) -> None:
    await sign_in(page, console.key)
    for name, document in examples().items():
        canonical = load_definition(document).canonical()
        file = tmp_path / f"{name}.json"
        file.write_text(json.dumps(document))
        await page.goto("/workflows/new/builder")
        await page.get_by_label("Import").set_input_files(file)
        canvas = page.get_by_role("figure", name="Canvas")
        nodes = canvas.locator(".react-flow__node-builder")
        await expect(nodes, name).to_have_count(len(canonical["nodes"]) + 1)
        for node in canonical["nodes"]:
            await expect(
                canvas.locator(f'.react-flow__node[data-id="{node["id"]}"]')
            ).to_contain_text(node["type"])
        await expect(canvas.locator(".react-flow__edge")).to_have_count(len(canonical["edges"]))
        for edge in canonical["edges"]:
            label = f"edge {edge['from']} to {edge['to']}" + (
                f" ({edge['when']})" if edge.get("when") else ""
            )
            await expect(canvas.get_by_label(label, exact=True).first).to_be_attached()

        # Laid out: no two nodes share a place (once React Flow has placed the measured nodes).
        async def laid_out(nodes: Locator = nodes) -> bool:
            boxes = [await n.bounding_box() for n in await nodes.all()]
            places = {(round(b["x"]), round(b["y"])) for b in boxes if b}
            return len(places) == len(boxes)

        await eventually(laid_out, timeout=10, what=f"{name}: every node in a place of its own")
        # A loop's body is drawn inside the frame titled with the loop (the ERP's invoices).
        for loop, members in loop_bodies(canonical).items():
            frame = canvas.get_by_role("group", name=loop)

            body = [canvas.locator(f'.react-flow__node[data-id="{m}"]') for m in members]

            async def framed(frame: Locator = frame, body: list[Locator] = body) -> bool:
                return all([await inside_now(node, frame) for node in body])

            await eventually(framed, timeout=10, what=f"{name}: {loop} around its body")
        await shoot(page, f"builder-import-{name}")


def loop_bodies(canonical: dict[str, Any]) -> dict[str, list[str]]:
    """Each for_each's frame title and the nodes its body reaches."""
    out: dict[str, list[str]] = {}
    for edge in canonical["edges"]:
        out.setdefault(edge["from"], []).append(edge["to"])
    bodies = {}
    for node in canonical["nodes"]:
        if node["type"] != "for_each":
            continue
        starts = [
            e["to"]
            for e in canonical["edges"]
            if e["from"] == node["id"] and e.get("when") == "body"
        ]
        seen: list[str] = []
        while starts:
            at = starts.pop()
            if at not in seen and at != node["id"]:
                seen.append(at)
                starts.extend(out.get(at, []))
        config = node["config"]
        bodies[f"for each {config.get('as', 'item')} in {config['items']}"] = seen
    return bodies
