"""The export step's configuration (checked with paths into the document) and its CSV cells."""

from __future__ import annotations

from typing import Any

import pytest

from definitions.errors import DefinitionError
from definitions.exports import MAX_COLUMNS, Column, csv_cell, default_columns, export_spec
from definitions.loading import load_definition


def export_step(**config: Any) -> dict[str, Any]:
    return {
        "name": "n",
        "trigger": {"event": "report.requested"},
        "steps": [{"id": "export", "type": "export", **config}],
    }


def problems(document: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as caught:
        load_definition(document)
    return [(p.path, p.message) for p in caught.value.problems]


def test_an_export_with_filter_columns_sort_and_email_loads() -> None:
    definition = load_definition(
        export_step(record_type="lead", filter={"score": {"$gte": 7}}, columns=["id", "owner.email"],
                    sort="-score", email={"to": "{{ owner }}", "subject": "Leads"}, limit=500)
    )  # fmt: skip
    assert definition.nodes[0].type == "export"


def test_enqueue_export_is_the_same_step() -> None:
    document = export_step(entity_type="lead", filters={"created_at__gte": "{{ since }}"})
    document["steps"][0]["type"] = "enqueue_export"
    assert load_definition(document).nodes[0].type == "export"


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, [("steps[0].record_type", "export needs 'record_type' or 'entity_type' or 'entity'")]),
        (
            {"record_type": "lead", "filter": {"score": {"$gte": [1]}}},
            [("steps[0].filter.score.$gte", "$gte takes a number or a string")],
        ),
        (
            {"record_type": "lead", "filter": {"score": {"$near": 1}}},
            [
                (
                    "steps[0].filter.score.$near",
                    "unknown operator $near ($contains, $eq, $exists, "
                    "$gt, $gte, $in, $lt, $lte, $ne, $nin)",
                )
            ],
        ),
        (
            {"record_type": "lead", "columns": ["id", "owner..email", 3]},
            [
                ("steps[0].columns[1]", "'owner..email' is not a field path (like 'owner.email')"),
                ("steps[0].columns[2]", "a column is a field path (like 'owner.email')"),
            ],
        ),
        (
            {"record_type": "lead", "sort": 5},
            [("steps[0].sort", "sort is a field path, '-' in front for descending")],
        ),
        (
            {"record_type": "lead", "export_type": "xlsx"},
            [("steps[0].export_type", "an export's format is csv")],
        ),
        (
            {"record_type": "lead", "limit": 0},
            [("steps[0].limit", "limit is a whole number from 1 to 10000")],
        ),
        (
            {"record_type": "lead", "email": {"subject": "no one"}},
            [("steps[0].email", 'email is {"to": address(es), "subject": text}')],
        ),
        (
            {"record_type": "x" * 65},
            [("steps[0].record_type", "a record type is a name of at most 64 characters")],
        ),
    ],
)
def test_export_mistakes_are_reported_at_their_path(
    config: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert problems(export_step(**config)) == expected


def test_the_spec_reads_the_crm_spelling() -> None:
    spec = export_spec(
        {"export_type": "csv", "entity_type": "lead", "filters": {"status": "qualified"},
         "email_to": "ann@acme.com, bo@acme.com"}
    )  # fmt: skip
    assert (spec.record_type, spec.filter, spec.email_to) == (
        "lead", {"status": "qualified"}, ["ann@acme.com", "bo@acme.com"],
    )  # fmt: skip
    assert [c.field for c in spec.clauses] == ["status"]
    assert spec.columns is None and spec.email_subject is None


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (None, ""),
        (True, "true"),
        (-5, "-5"),
        (2.5, "2.5"),
        ("plain", "plain"),
        ("=1+2", "'=1+2"),
        ("+31 20 123", "'+31 20 123"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=cmd", "'\t=cmd"),
        (["a", 1], '["a",1]'),
        ({"b": None}, '{"b":null}'),
    ],
)
def test_cells_are_plain_text_and_formulas_are_defused(value: Any, cell: str) -> None:
    assert csv_cell(value) == cell


def test_default_columns_are_id_then_the_data_keys_sorted_and_capped() -> None:
    columns = default_columns([{"b": 1, "id": "x", "a.b": 2}, {"c": 3}])
    assert columns == [Column("id", ("id",), of_record=True), Column("a.b", ("a.b",)),
                       Column("b", ("b",)), Column("c", ("c",))]  # fmt: skip
    many = default_columns([{f"k{i:03}": i for i in range(300)}])
    assert len(many) == MAX_COLUMNS and many[-1].name == "k098"
