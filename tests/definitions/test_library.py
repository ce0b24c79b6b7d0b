"""The built-in templates (issue 7): every one loads, and its sample data fills every template."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from definitions.context import build_context
from definitions.library import CATEGORIES, TEMPLATES, Template, get_template, list_templates
from definitions.loading import check_definition, load_definition
from definitions.models import Definition
from definitions.nodes import ACTION_TYPES
from definitions.templates import referenced_names, render, template_context_clock

NAMED = {
    # the ERP document's eight
    "invoice_reminder", "welcome_sequence", "payment_thank_you", "project_status_update",
    "ticket_escalation", "weekly_report", "lead_qualification", "contract_renewal",
    # the meeting engine's three
    "appointment_reminder_24h", "appointment_thank_you", "appointment_confirmation",
    # the scheduling app's follow-up and feedback
    "booking_follow_up", "booking_feedback",
}  # fmt: skip
_NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
BY_ID = pytest.mark.parametrize("template", TEMPLATES, ids=[t.id for t in TEMPLATES])


def test_the_library_holds_at_least_twelve_templates_including_every_named_one() -> None:
    assert len(TEMPLATES) >= 12
    assert {t.id for t in TEMPLATES} >= NAMED


def test_templates_are_found_by_id_and_listed_by_category() -> None:
    assert get_template("invoice_reminder") is TEMPLATES[0]
    assert get_template("nope") is None
    billing = list_templates("billing")
    assert {t.id for t in billing} == {"invoice_reminder", "payment_thank_you"}
    assert list_templates() == list(TEMPLATES)
    assert {t.category for t in TEMPLATES} <= set(CATEGORIES)


@BY_ID
def test_a_template_loads_without_errors_or_warnings(template: Template) -> None:
    report = check_definition(template.document())
    assert report.errors == [] and report.warnings == []
    definition = load_definition(template.document())
    assert definition.name == template.name
    assert {n.type for n in definition.nodes} & ACTION_TYPES, "the template does nothing"
    assert template.description and template.id.replace("_", "").isalnum()


@BY_ID
def test_the_sample_data_renders_every_node_and_provides_every_name_it_reads(
    template: Template,
) -> None:
    definition = load_definition(template.document())
    context = _sample_context(template, definition)
    for node in definition.nodes:
        rendered = render(node.config, context)  # raises TemplateRenderError on failure
        assert isinstance(rendered, dict)
        missing = _names(node.config) - context.keys()
        assert not missing, f"{node.id} reads {missing}, which the sample data lacks"


def test_a_template_document_is_a_copy() -> None:
    template = TEMPLATES[0]
    template.document()["name"] = "changed"
    assert template.document()["name"] == template.name


def _sample_context(template: Template, definition: Definition) -> dict[str, Any]:
    """The run context of the sample event, with each loop's variable bound to its first item
    and each step's output stood in for by a plausible one."""
    trigger = {"type": definition.trigger.event, "id": "ev_1", "data": template.sample_data}
    context = build_context(
        trigger, workflow={"id": "wf_1", "name": template.name, "version": 1}, run={"id": "r_1"}
    )
    context.update(template_context_clock(_NOW))
    for node in definition.nodes:
        if node.type == "for_each":
            items = render(node.config["items"], context)
            assert isinstance(items, list) and items, f"{node.id} loops over no sample items"
            context[node.config["as"]] = items[0]
        if node.type == "set":  # as the interpreter does: the values are names of the context
            context.update(render(node.config.get("values") or {}, context))
        context["steps"][node.id] = {"status": "completed", "output": {"status": 200, "json": {}}}
    return context


def _names(value: Any) -> set[str]:
    if isinstance(value, str):
        return referenced_names(value)
    if isinstance(value, dict):
        return set().union(*(_names(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_names(v) for v in value))
    return set()
