"""The builder's YAML view: the same document as the canvas and the JSON view, edited as YAML —
a field changed there is on the canvas, the server's problems are shown at their lines, the
keys a step's type may still have are offered, and canvas → YAML → canvas changes nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.async_api import Locator, Page, expect

from definitions.documents import parse_yaml
from tests.console.conftest import Console, save, shoot, sign_in
from tests.console.test_builder_editing import document
from tests.console.test_builder_versions import welcome


async def caret_at(area: Locator, text: str) -> None:
    """The caret just after ``text`` in the textarea, as a click there would put it."""
    value = await area.input_value()
    index = value.index(text) + len(text)
    await area.evaluate("(el, i) => { el.focus(); el.setSelectionRange(i, i); }", index)
    await area.press("End")


async def test_the_yaml_view_edits_the_same_document_and_shows_problems_at_their_lines(
    page: Page, console: Console, tmp_path: Path
) -> None:
    workflow = await console.create(welcome(), active=False)
    await sign_in(page, console.key)
    await page.goto(f"/workflows/{workflow['id']}/builder")
    canvas = page.get_by_role("figure", name="Canvas")
    await expect(canvas.get_by_label("hello (send_email)")).to_be_visible()
    before = await document(page)

    # Canvas → YAML → canvas: nothing changes, positions and key order included.
    await page.get_by_role("button", name="YAML", exact=True).click()
    yaml = page.get_by_label("Definition (YAML)")
    text = await yaml.input_value()
    assert parse_yaml(text) == before
    assert "  - id: hello\n    type: send_email\n" in text  # the document's own key order
    await page.get_by_role("button", name="Canvas", exact=True).click()
    assert await document(page) == before

    # A field edited as YAML is what the canvas and the node's panel show.
    await page.get_by_role("button", name="YAML", exact=True).click()
    edited = text.replace("  - id: hello\n", "  - id: hello\n    name: Hello email\n").replace(
        "subject: Welcome\n", "subject: Welcome aboard\n"
    )
    await yaml.fill(edited)
    await page.get_by_role("button", name="Canvas", exact=True).click()
    email = canvas.get_by_label("Hello email (send_email)")
    await expect(email).to_be_visible()
    await email.click()
    panel = page.get_by_role("complementary", name="Node settings")
    await expect(panel.get_by_label("subject", exact=True)).to_have_value("Welcome aboard")

    # A mistake is listed at its line (and marked beside it) ...
    await page.get_by_role("button", name="YAML", exact=True).click()
    await yaml.fill(edited.replace('to: "{{ email }}"', 'to: ""'))
    problems = page.get_by_role("list", name="Problems by line")
    await expect(problems).to_contain_text("nodes[0].config.to")
    item = problems.get_by_role("listitem").filter(has_text="nodes[0].config.to")
    line = int((await item.get_by_role("button").inner_text()).removeprefix("line "))
    assert "to:" in (await yaml.input_value()).splitlines()[line - 1]
    await expect(page.locator(".code-editor .gutter span.error")).to_contain_text(str(line))
    await item.get_by_role("button").click()
    await expect(yaml).to_be_focused()
    await shoot(page, "builder-yaml-problem")
    # ... and text that is not YAML yet says where; the canvas keeps the last document.
    await yaml.fill(edited + "edges: [\n")
    await expect(page.get_by_role("status").filter(has_text="Not YAML yet")).to_contain_text("line")
    await yaml.fill(edited)
    await expect(problems).not_to_contain_text("send_email needs 'to'")

    # The keys the step under the caret may still have, from its type's schema.
    await caret_at(yaml, "duration: 2d")
    keys = page.get_by_role("group", name="Keys for pause")
    await expect(keys.get_by_role("button", name="if_past", exact=True)).to_be_visible()
    await expect(keys.get_by_role("button", name="duration", exact=True)).to_have_count(0)
    await keys.get_by_role("button", name="if_past", exact=True).click()
    await expect(yaml).to_be_focused()
    await page.keyboard.type("skip")
    await shoot(page, "builder-yaml-keys")
    shown = await document(page)
    expected: dict[str, Any] = parse_yaml(edited)
    expected["nodes"][1]["config"]["if_past"] = "skip"
    assert shown == expected

    # Saved: the stored document is the one edited; exported as YAML, the same again.
    await save(page)
    await expect(page.get_by_role("status").filter(has_text="Saved as version 2")).to_be_visible()
    exported = (await console.api.get(f"/v1/workflows/{workflow['id']}/export")).json()
    assert exported == expected
    async with page.expect_download() as download:
        await page.get_by_role("button", name="Export YAML").click()
    file = tmp_path / "exported.yaml"
    await (await download.value).save_as(file)
    assert parse_yaml(file.read_text()) == expected
    # And the exported file imports unchanged (the console reads YAML as the server does).
    await page.goto("/workflows/new/builder")
    await page.get_by_label("Import").set_input_files(file)
    await expect(canvas.get_by_label("Hello email (send_email)")).to_be_visible()
    assert await document(page) == expected
