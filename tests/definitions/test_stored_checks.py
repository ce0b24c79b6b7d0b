"""Checks of a definition against the tenant's stored data, with the lookups given as plain
functions (``definitions.stored_checks``)."""

from __future__ import annotations

import pytest

from definitions.loading import load_definition
from definitions.stored_checks import StoredData, stored_data_problems

STORED = StoredData(
    template_exists=lambda name: name == "welcome",
    record_count=lambda kind: {"invoice": 3, "company": 1, "status": 2}.get(kind, 0),
    same_name=lambda name: name == "Taken",
)


def query(record_type: str) -> list[str]:
    document = {"name": "n", "steps": [{"id": "q", "type": "query_records",
                                        "record_type": record_type}]}  # fmt: skip
    _, warnings = stored_data_problems(load_definition(document), None, STORED)
    return [w.message for w in warnings]


@pytest.mark.parametrize(
    ("written", "meant"),
    [("invoices", "invoice"), ("companies", "company"), ("statuses", "status")],
)
def test_a_record_type_with_no_records_whose_other_number_has_some_is_a_warning(
    written: str, meant: str
) -> None:
    assert query(written) == [
        f"no {written!r} records are stored, but {meant!r} records are: did you mean {meant!r}?"
    ]


@pytest.mark.parametrize("record_type", ["invoice", "orders", "{{ kind }}"])
def test_a_stored_unknown_or_templated_record_type_is_no_warning(record_type: str) -> None:
    assert query(record_type) == []


def test_a_send_email_template_must_be_stored_unless_it_is_a_template_expression() -> None:
    steps = [
        {"id": "a", "type": "send_email", "to": "x@example.com", "template": "welcome"},
        {"id": "b", "type": "send_email", "to": "x@example.com", "template": "missing"},
        {
            "id": "c",
            "type": "send_email",
            "to": "x@example.com",
            "template": "{{ which }}",
            "subject": "s",
            "body": "b",
        },
    ]
    definition = load_definition({"name": "n", "steps": steps})
    errors, warnings = stored_data_problems(definition, "Taken", STORED)
    assert [(e.path, e.message) for e in errors] == [
        ("nodes[1].config.template", "no email template is named 'missing': store it first")
    ]
    assert [(w.path, w.message) for w in warnings] == [
        ("name", "another workflow is named 'Taken'")
    ]
