"""Export a workflow as JSON or YAML, import it back: the same document and the same graph."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml

from tests.api.authoring.conftest import Authoring
from tests.api.conftest import problem

YAML = {"content-type": "application/yaml"}

MULTILINE = """Hi {{ contact.name | default('there') }},
        
Your appointment is at {{ appointment.start_time | date('%b %d, %H:%M') }}.
  Indented line, trailing spaces   
{% if vip %}VIP{% endif %}
"""


def tricky() -> dict[str, Any]:
    """Unicode, multi-line templates, YAML's lookalikes of booleans, dates and numbers."""
    return {
        "name": "Rappel — 予約 😀",
        "description": "line one\nline two\n",
        "trigger": {"type": "event", "event": "appointment.created", "entity": "{{ id }}"},
        "steps": [
            {
                "id": "remind",
                "type": "send_email",
                "to": "{{ contact.email }}",
                "subject": "Ihr Termin: {{ appointment.title }} ✓",
                "body": MULTILINE,
                "variables": {"yes": "no", "on": "off", "date": "2024-06-01", "n": "1.0"},
                "when": {"field": "contact.tier", "operator": "in", "value": ["yes", "null", 1.5]},
            },
            {"id": "later", "type": "wait", "duration": {"hours": 48}},
            {"id": "empty", "type": "set", "values": {"blank": "", "space": " ", "zero": 0}},
        ],
        "settings": {"on_error": "continue", "timezone": "Europe/Berlin"},
    }


async def _export(authoring: Authoring, workflow_id: str, fmt: str) -> str:
    response = await authoring.api.get(f"/v1/workflows/{workflow_id}/export?format={fmt}")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == f"application/{fmt}"
    return response.text


async def _import(authoring: Authoring, text: str, fmt: str) -> dict[str, Any]:
    headers = YAML if fmt == "yaml" else {"content-type": "application/json"}
    response = await authoring.api.post("/v1/workflows/import", content=text, headers=headers)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def _version(authoring: Authoring, workflow_id: str) -> dict[str, Any]:
    response = await authoring.api.get(f"/v1/workflows/{workflow_id}/versions/1")
    body: dict[str, Any] = response.json()
    return body


@pytest.mark.parametrize("fmt", ["json", "yaml"])
async def test_export_then_import_round_trips_exactly(authoring: Authoring, fmt: str) -> None:
    original = await authoring.create(tricky())
    text = await _export(authoring, original["id"], fmt)
    imported = await _import(authoring, text, fmt)
    assert imported["id"] != original["id"]
    assert (imported["status"], imported["version"]) == ("draft", 1)
    assert imported["name"] == "Rappel — 予約 😀"
    before, after = (
        await _version(authoring, original["id"]),
        await _version(authoring, imported["id"]),
    )
    assert after["source"] == before["source"] == tricky()
    assert after["definition"] == before["definition"]
    # And once more: exporting the import gives the same text.
    assert await _export(authoring, imported["id"], fmt) == text


async def test_yaml_export_is_readable_yaml_with_literal_blocks(authoring: Authoring) -> None:
    document = tricky()
    document["steps"][0]["body"] = "Hi {{ name }},\n\nSee you soon.\n"
    created = await authoring.create(document)
    text = await _export(authoring, created["id"], "yaml")
    assert text.startswith("name: Rappel — 予約 😀\n")  # unicode as itself, not escaped
    assert "body: |\n" in text and "    Hi {{ name }},\n" in text
    assert yaml.safe_load(text) == document


async def test_json_export_is_the_submitted_document(authoring: Authoring) -> None:
    created = await authoring.create(tricky())
    assert json.loads(await _export(authoring, created["id"], "json")) == tricky()


async def test_export_takes_a_version(authoring: Authoring) -> None:
    created = await authoring.create(tricky())
    second = tricky() | {"description": "v2"}
    await authoring.api.put(f"/v1/workflows/{created['id']}", json=second)
    url = f"/v1/workflows/{created['id']}/export"
    assert (await authoring.api.get(url)).json()["description"] == "v2"
    assert (await authoring.api.get(url, params={"version": 1})).json() == tricky()
    problem(await authoring.api.get(url, params={"version": 3}), 404)
    problem(await authoring.api.get(url, params={"format": "xml"}), 422)


async def test_import_takes_a_json_body_and_validates_it(authoring: Authoring) -> None:
    response = await authoring.api.post("/v1/workflows/import", json=tricky())
    assert response.status_code == 201, response.text
    broken = tricky()
    broken["steps"][0]["type"] = "carrier_pigeon"
    body = problem(await authoring.api.post("/v1/workflows/import", json=broken), 422)
    assert [e["path"] for e in body["errors"]] == ["steps[0].type"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name: x\nsteps: [\n", "not valid YAML at line 3"),
        ("name: x\n  bad: indent\n", "not valid YAML at line 2"),
        ("yes: 1\n", "a key must be text"),
        ("a: !!binary aGVsbG8=\n", "has no JSON equivalent"),
        ("[" * 5000, "nests deeper than"),
        ("---\nname: a\n---\nname: b\n", "not valid YAML"),
        ("a: &a [*a]\n", "nests deeper than"),
        ("\x00", "not valid YAML"),
        ("just text\n", "a definition must be a JSON object"),
        ("", "a definition must be a JSON object"),
    ],
)
async def test_invalid_yaml_is_a_422_saying_why(
    authoring: Authoring, text: str, message: str
) -> None:
    response = await authoring.api.post("/v1/workflows/import", content=text, headers=YAML)
    body = problem(response, 422)
    assert any(message in e["message"] for e in body["errors"]), body


async def test_yaml_aliases_cannot_blow_up_a_small_body(authoring: Authoring) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for index, name in enumerate("bcdefg"):
        previous = "abcdefg"[index]
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{previous}"] * 10) + "]")
    response = await authoring.api.post(
        "/v1/workflows/import", content="\n".join(lines), headers=YAML
    )
    body = problem(response, 422)
    assert "more than" in body["errors"][0]["message"]


async def test_invalid_json_and_oversized_bodies_are_refused(authoring: Authoring) -> None:
    headers = {"content-type": "application/json"}
    response = await authoring.api.post("/v1/workflows/import", content="{", headers=headers)
    assert "not valid JSON at line 1" in problem(response, 422)["errors"][0]["message"]
    response = await authoring.api.post(
        "/v1/workflows/import", content="[" * 100_000, headers=headers
    )
    problem(response, 422)
    huge = json.dumps(tricky() | {"description": "x" * 1_100_000})
    problem(await authoring.api.post("/v1/workflows/import", content=huge, headers=headers), 413)
    response = await authoring.api.post("/v1/workflows/import", content="NaN", headers=headers)
    problem(response, 422)


async def test_import_and_export_need_a_key_and_hide_other_tenants(authoring: Authoring) -> None:
    created = await authoring.create(tricky())
    async with authoring.anonymous() as anonymous:
        problem(await anonymous.post("/v1/workflows/import", json=tricky()), 401)
        problem(await anonymous.get(f"/v1/workflows/{created['id']}/export"), 401)
    async with authoring.other_tenant() as other:
        problem(await other.get(f"/v1/workflows/{created['id']}/export"), 404)
        imported = await other.post("/v1/workflows/import", json=tricky())
        assert imported.status_code == 201  # into the other tenant, not ours
    mine = (await authoring.api.get("/v1/workflows")).json()["items"]
    assert imported.json()["id"] not in [w["id"] for w in mine]
