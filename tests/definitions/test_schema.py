"""The DSL's JSON Schema: generated from the models, committed, and true to the examples.

``jsonschema`` is not a dependency, so a small validator for exactly the keywords the schema uses
checks the examples; a test fails if the schema starts using a keyword it does not know.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from definitions.nodes import NODE_TYPES, REGISTRY, type_aliases
from definitions.schema import definition_json_schema, definition_json_schema_text
from tests.definitions import test_seed_examples as seeds

COMMITTED = Path(__file__).resolve().parents[2] / "schema" / "relay-definition.schema.json"
SCHEMA = definition_json_schema()

# --------------------------------------------------------------------------- a small validator

_TYPES = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
}
_ANNOTATIONS = {"title", "description", "$schema", "$defs", "default", "examples"}
KNOWN = _ANNOTATIONS | {
    "$ref", "type", "properties", "required", "additionalProperties", "items", "anyOf",
    "enum", "minLength", "maxLength", "minimum", "maximum",
}  # fmt: skip


def errors(value: Any, schema: dict[str, Any], path: str = "$") -> list[str]:
    """Where ``value`` breaks ``schema`` (resolved against ``SCHEMA``); [] when it conforms."""
    if "$ref" in schema:
        name = schema["$ref"].removeprefix("#/$defs/")
        return errors(value, SCHEMA["$defs"][name], path)
    found: list[str] = []
    kind = schema.get("type")
    if kind is not None and not _TYPES[kind](value):
        return [f"{path}: not a {kind}"]
    if "enum" in schema and value not in schema["enum"]:
        found.append(f"{path}: {value!r} not one of the enum")
    low, high = schema.get("minLength", 0), schema.get("maxLength", float("inf"))
    if isinstance(value, str) and not low <= len(value) <= high:
        found.append(f"{path}: length out of bounds")
    low, high = schema.get("minimum", float("-inf")), schema.get("maximum", float("inf"))
    if _TYPES["number"](value) and not low <= value <= high:
        found.append(f"{path}: out of range")
    if "anyOf" in schema and not any(not errors(value, s, path) for s in schema["anyOf"]):
        found.append(f"{path}: matches none of anyOf")
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        found += [
            f"{path}: needs {key!r}" for key in schema.get("required", []) if key not in value
        ]
        for key, item in value.items():
            if key in properties:
                found += errors(item, properties[key], f"{path}.{key}")
            elif schema.get("additionalProperties") is False:
                found.append(f"{path}: unexpected {key!r}")
            elif isinstance(schema.get("additionalProperties"), dict):
                found += errors(item, schema["additionalProperties"], f"{path}.{key}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            found += errors(item, schema["items"], f"{path}[{index}]")
    return found


def keywords(schema: Any, inside_names: bool = False) -> set[str]:
    """Every keyword the schema uses (not the names of properties or definitions)."""
    if isinstance(schema, list):
        return set().union(*(keywords(item) for item in schema)) if schema else set()
    if not isinstance(schema, dict):
        return set()
    found = set() if inside_names else set(schema)
    for key, item in schema.items():
        if key in ("properties", "$defs") and not inside_names:
            found |= set().union(*(keywords(v) for v in item.values())) if item else set()
        elif key not in ("enum", "required"):
            found |= keywords(item)
    return found


# --------------------------------------------------------------------------- the examples


def seed_documents() -> dict[str, dict[str, Any]]:
    """Every whole definition written out in test_seed_examples.py."""
    crm = {
        f"crm {name}": {
            "name": "n",
            "trigger": {"event_type": "lead.created", "conditions": condition},
            "steps": [
                {"id": "welcome", "type": "send_email", **seeds.CRM_EMAIL},
                {"id": "hook", "type": "call_webhook", "ordering": 2, **seeds.CRM_WEBHOOK},
            ],
        }
        for name, condition in seeds.CRM_CONDITIONS.items()
    }
    return {
        "scheduling": seeds.SCHEDULING_WORKFLOW,
        "marketing": seeds.MARKETING_WORKFLOW,
        "erp invoice reminder": seeds.ERP_WORKFLOW,
        **{f"meeting {name}": document for name, document in seeds.MEETING_WORKFLOWS.items()},
        **crm,
    }


def test_the_committed_schema_is_the_generated_one():
    # Regenerate with: relay schema -o schema/relay-definition.schema.json
    assert COMMITTED.read_text(encoding="utf-8") == definition_json_schema_text()


def test_the_validator_here_knows_every_keyword_the_schema_uses():
    assert keywords(SCHEMA) <= KNOWN, keywords(SCHEMA) - KNOWN


@pytest.mark.parametrize("document", seed_documents().values(), ids=seed_documents().keys())
def test_every_seed_example_conforms_to_the_schema(document):
    assert errors(document, SCHEMA) == []


def test_canonical_definitions_conform_too():
    from definitions.normalise import normalise_definition

    for document in seed_documents().values():
        canonical = normalise_definition(document).definition.canonical()
        assert errors(canonical, SCHEMA) == []


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"steps": []}, "$: needs 'name'"),
        ({"name": "n"}, "$: matches none of anyOf"),
        ({"name": "n", "steps": [{"id": "a", "type": "carrier_pigeon"}]}, "$.steps[0].type"),
        ({"name": "n", "steps": [{"id": "a"}]}, "$.steps[0]: matches none of anyOf"),
        ({"name": "n", "steps": {"a": 1}}, "$.steps: not a array"),
        ({"name": "", "steps": []}, "$.name: length out of bounds"),
        ({"name": "n", "steps": [{"type": "loop", "concurrency": 0}]}, "$.steps[0].concurrency"),
        ({"name": "n", "steps": [], "settings": {"on_error": "explode"}}, "$.settings.on_error"),
        ({"name": "n", "steps": [{"type": "wait", "retry": {"tries": 3}}]}, "$.steps[0].retry"),
    ],
)
def test_mistakes_an_editor_should_flag_break_the_schema(document, where):
    assert any(error.startswith(where) for error in errors(document, SCHEMA)), errors(
        document, SCHEMA
    )


ACTION_STEPS = [
    {"id": "hook", "type": "webhook", "webhook_url": "https://hooks.example.com/x",
     "method": "POST", "body_format": "form", "preset": "scheduling_webhook",
     "webhook_data": {"source": "relay"}, "expect": [200, 202], "request_timeout": 10,
     "auth": {"type": "bearer", "token": "{{ secrets.TOKEN }}"}},
    {"id": "chat", "type": "slack", "url": "https://hooks.slack.com/x", "text": "New lead",
     "blocks": [{"type": "section"}]},
    {"id": "own", "type": "activity", "activity": "charge_card", "task_queue": "billing",
     "input": ["{{ invoice.id }}", 12]},
    {"id": "task", "type": "create_task", "title": "Call {{ name }}", "assignee": "bo@acme.com",
     "due_date": "{{ today + 2 }}", "priority": "high", "status": "open", "tags": ["vip"]},
    {"id": "stage", "type": "update_field", "entity_type": "deal", "entity_id": "{{ deal.id }}",
     "field": "stage", "value": "won"},
    {"id": "find", "type": "query_records", "record_type": "invoice",
     "filter": {"days_overdue": {"$gte": 7}}, "sort": "-days_overdue", "limit": 50},
    {"id": "tag", "type": "add_tag", "record_type": "contact", "tag": "vip"},
    {"id": "list", "type": "add_to_list", "list": "newsletter"},
    {"id": "note", "type": "add_note", "note": "Qualified", "visibility": "internal"},
    {"id": "tell", "type": "send_notification", "recipient": "{{ lead.owner.email }}",
     "message": "New lead", "link": "/leads/{{ lead.id }}", "notification_type": "in_app"},
    {"id": "export", "type": "enqueue_export", "entity_type": "lead", "export_type": "csv",
     "filters": {"status": "qualified"}, "columns": ["id", "owner.email"],
     "email": {"to": ["ann@acme.com"], "subject": "Leads"}},
]  # fmt: skip


def test_the_actions_fields_conform_and_are_described():
    document = {"name": "n", "steps": ACTION_STEPS}
    assert errors(document, SCHEMA) == []
    properties = SCHEMA["$defs"]["Step"]["properties"]
    written = {key for step in ACTION_STEPS for key in step} - {"id", "type"}
    assert written <= set(properties), written - set(properties)
    required = {key for declared in REGISTRY.values() for alternatives in declared.needs
                for key in alternatives}  # fmt: skip
    assert required <= set(properties), required - set(properties)
    assert all(properties[key].get("description") for key in written - {"method", "value"})


@pytest.mark.parametrize(
    ("step", "where"),
    [
        ({"type": "webhook", "body_format": "xml"}, "$.steps[0].body_format"),
        ({"type": "webhook", "auth": {"type": "digest"}}, "$.steps[0].auth.type"),
        ({"type": "webhook", "auth": {"token": "t"}}, "$.steps[0].auth: needs 'type'"),
        ({"type": "webhook", "expect": [42]}, "$.steps[0].expect[0]: out of range"),
        ({"type": "export", "format": "xlsx"}, "$.steps[0].format"),
        ({"type": "export", "email": {"subject": "no one"}}, "$.steps[0].email: needs 'to'"),
        ({"type": "query_records", "limit": 0}, "$.steps[0].limit"),
    ],
)
def test_action_mistakes_an_editor_should_flag(step, where):
    found = errors({"name": "n", "steps": [step]}, SCHEMA)
    assert any(error.startswith(where) for error in found), found


def test_node_types_complete_with_canonical_names_and_aliases():
    step = SCHEMA["$defs"]["Step"]
    assert set(step["properties"]["type"]["enum"]) >= NODE_TYPES | set(type_aliases())
    common = {"id", "type", "name", "when", "retry", "timeout", "on_error", "output", "config"}
    assert common <= set(step["properties"])
    assert all(step["properties"][key].get("description") for key in common - {"retry"})


def test_the_schema_is_draft_2020_12_and_names_itself():
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["title"] == "Relay workflow definition"
    assert json.loads(definition_json_schema_text()) == SCHEMA
