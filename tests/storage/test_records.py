"""The record store on the real database (SQLite, or PostgreSQL with RELAY_TEST_DATABASE_URL):
every filter operator evaluated in SQL, sorting, pages, the audit trail."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from definitions.errors import DefinitionError
from definitions.record_filters import parse_filter, parse_sort
from storage.db import session_scope
from storage.record_query import InvalidCursor
from storage.records import (
    RecordExists,
    RecordNotFound,
    change_event,
    changes_of,
    create_record,
    delete_record,
    query_records,
    set_membership,
    update_record,
)

INVOICES: dict[str, dict[str, Any]] = {
    "inv1": {"status": "overdue", "days_overdue": 9, "amount": 120.5, "paid": False,
             "customer": {"email": "ann@acme.com", "tier": "gold"}, "labels": ["vip", "eu"],
             "due": "2026-01-05"},
    "inv2": {"status": "overdue", "days_overdue": 3, "amount": 40, "paid": False,
             "customer": {"email": "bob@globex.com"}, "labels": ["eu"], "note": None,
             "due": "2026-02-01"},
    "inv3": {"status": "paid", "days_overdue": 0, "amount": 300, "paid": True,
             "customer": {"email": "cy@acme.com", "tier": "silver"}, "labels": [],
             "due": "2025-12-24"},
    "inv4": {"status": "draft", "days_overdue": "7", "amount": "n/a",
             "customer": {"email": "dee@initech.com"}, "labels": [7]},
}  # fmt: skip


@pytest.fixture
def tenant(engine: Engine) -> Iterator[str]:
    tenant_id = f"t_{uuid.uuid4().hex[:8]}"
    with session_scope(engine) as session:
        for record_id, data in INVOICES.items():
            create_record(session, tenant_id, "invoice", record_id, data)
        create_record(session, tenant_id, "contact", "inv1", {"status": "overdue"})
    yield tenant_id


def ids(engine: Engine, tenant: str, document: Any, sort: str | None = "id") -> list[str]:
    with session_scope(engine) as session:
        rows, _ = query_records(
            session, tenant, "invoice", parse_filter(document), sort=parse_sort(sort)
        )
        return [row.record_id for row in rows]


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        ({}, ["inv1", "inv2", "inv3", "inv4"]),
        ({"status": "overdue"}, ["inv1", "inv2"]),
        ({"status": {"$eq": "paid"}}, ["inv3"]),
        ({"paid": True}, ["inv3"]),
        ({"paid": False}, ["inv1", "inv2"]),
        ({"note": None}, ["inv1", "inv2", "inv3", "inv4"]),
        ({"status": {"$ne": "overdue"}}, ["inv3", "inv4"]),
        ({"paid": {"$ne": True}}, ["inv1", "inv2", "inv4"]),
        ({"days_overdue": {"$gte": 7}}, ["inv1"]),  # "7" is text: like compares with like
        ({"days_overdue": {"$gt": 3}}, ["inv1"]),
        ({"days_overdue": {"$lt": 3}}, ["inv3"]),
        ({"days_overdue": {"$lte": 3}}, ["inv2", "inv3"]),
        ({"amount": {"$gt": 100, "$lt": 200}}, ["inv1"]),
        ({"amount": {"$gte": 40.0}}, ["inv1", "inv2", "inv3"]),
        ({"due": {"$lt": "2026-01-01"}}, ["inv3"]),
        ({"customer.email": "ann@acme.com"}, ["inv1"]),
        ({"customer.tier": {"$in": ["gold", "silver"]}}, ["inv1", "inv3"]),
        ({"status": {"$in": ["paid", "draft"]}}, ["inv3", "inv4"]),
        ({"amount": {"$in": [40, 300]}}, ["inv2", "inv3"]),
        ({"customer.tier": {"$nin": ["gold"]}}, ["inv2", "inv3", "inv4"]),
        ({"labels": {"$contains": "eu"}}, ["inv1", "inv2"]),
        ({"labels": {"$contains": 7}}, ["inv4"]),
        ({"customer.email": {"$contains": "@acme."}}, ["inv1", "inv3"]),
        ({"customer.tier": {"$exists": True}}, ["inv1", "inv3"]),
        ({"customer.tier": {"$exists": False}}, ["inv2", "inv4"]),
        ({"note": {"$exists": True}}, ["inv2"]),
        ({"labels.0": "vip"}, ["inv1"]),
        ({"status": "overdue", "days_overdue__gte": 7}, ["inv1"]),
        ({"id": {"$in": ["inv2", "inv4"]}}, ["inv2", "inv4"]),
        ({"id": {"$gt": "inv2"}}, ["inv3", "inv4"]),
        ({"created_at": {"$gte": "2000-01-01T00:00:00Z"}}, ["inv1", "inv2", "inv3", "inv4"]),
        ({"missing.deeply": {"$gt": 1}}, []),
    ],
)
def test_every_operator_is_evaluated_by_the_database(
    engine: Engine, tenant: str, document: dict[str, Any], expected: list[str]
) -> None:
    assert ids(engine, tenant, document) == expected


def test_tags_and_lists_filter_like_arrays(engine: Engine, tenant: str) -> None:
    with session_scope(engine) as session:
        set_membership(session, tenant, "invoice", "inv2", "tag", "late", True)
        set_membership(session, tenant, "invoice", "inv3", "list", "q1", True)
    assert ids(engine, tenant, {"tags": {"$contains": "late"}}) == ["inv2"]
    assert ids(engine, tenant, {"lists": {"$contains": "q1"}}) == ["inv3"]
    assert ids(engine, tenant, {"tags": {"$contains": "none"}}) == []


def test_sorting_by_data_fields_and_columns(engine: Engine, tenant: str) -> None:
    # Numbers first in order, then text ("n/a"), whichever the direction.
    assert ids(engine, tenant, {}, "amount") == ["inv2", "inv1", "inv3", "inv4"]
    assert ids(engine, tenant, {}, "-amount") == ["inv3", "inv1", "inv2", "inv4"]
    assert ids(engine, tenant, {}, "-id") == ["inv4", "inv3", "inv2", "inv1"]
    assert ids(engine, tenant, {}, None) == ["inv4", "inv3", "inv2", "inv1"]  # newest first


@pytest.mark.parametrize("sort", [None, "id", "-updated_at", "amount", "-customer.email"])
def test_pages_cover_every_record_once(engine: Engine, tenant: str, sort: str | None) -> None:
    seen: list[str] = []
    cursor = None
    with session_scope(engine) as session:
        while True:
            rows, cursor = query_records(
                session, tenant, "invoice", [], sort=parse_sort(sort), limit=3, cursor=cursor
            )
            seen += [row.record_id for row in rows]
            if cursor is None:
                break
    assert sorted(seen) == ["inv1", "inv2", "inv3", "inv4"]
    assert len(seen) == 4


def test_a_forged_cursor_is_refused(engine: Engine, tenant: str) -> None:
    with session_scope(engine) as session, pytest.raises(InvalidCursor):
        query_records(session, tenant, "invoice", [], cursor="bm9wZQ")


def test_an_instant_column_compared_with_text_is_a_filter_problem(
    engine: Engine, tenant: str
) -> None:
    with pytest.raises(DefinitionError) as caught:
        ids(engine, tenant, {"created_at": {"$gt": "yesterday"}})
    assert caught.value.problems[0].path == "filter.created_at"


def test_updates_merge_and_keep_the_original_values_in_the_audit_trail(
    engine: Engine, tenant: str
) -> None:
    with session_scope(engine) as session:
        changed = update_record(
            session, tenant, "invoice", "inv1",
            {"status": "paid", "customer": {"tier": None}, "paid": False},
        )  # fmt: skip
        assert changed.change is not None
        event = change_event(changed.change, changed.record)
        assert changed.record.data["customer"] == {"email": "ann@acme.com"}
        assert changed.record.version == 2
        same = update_record(session, tenant, "invoice", "inv1", {"status": "paid"})
        assert same.change is None
        replaced = update_record(session, tenant, "invoice", "inv2", {"x": 1}, replace=True)
        assert replaced.record.data == {"x": 1}
        trail = changes_of(session, tenant, "invoice", "inv1")
    assert [c.kind for c in trail] == ["created", "updated"]
    assert trail[1].previous == {
        "status": "overdue",
        "customer": {"email": "ann@acme.com", "tier": "gold"},
    }
    assert event["type"] == "invoice.updated"
    assert event["entity"] == "invoice:inv1"
    assert event["previous"] == trail[1].previous
    assert event["data"]["status"] == "paid" and event["data"]["id"] == "inv1"


def test_create_twice_delete_and_missing_records(engine: Engine, tenant: str) -> None:
    with session_scope(engine) as session:
        with pytest.raises(RecordExists):
            create_record(session, tenant, "invoice", "inv1", {})
        deleted = delete_record(session, tenant, "invoice", "inv3")
        assert deleted.change is not None
        assert change_event(deleted.change, deleted.record)["data"]["status"] == "paid"
        with pytest.raises(RecordNotFound):
            update_record(session, tenant, "invoice", "inv3", {"a": 1})
        with pytest.raises(RecordNotFound):
            update_record(session, "another-tenant", "invoice", "inv1", {"a": 1})
    assert ids(engine, tenant, {}) == ["inv1", "inv2", "inv4"]


def test_tags_change_once(engine: Engine, tenant: str) -> None:
    with session_scope(engine) as session:
        added = set_membership(session, tenant, "invoice", "inv1", "tag", "vip", True)
        again = set_membership(session, tenant, "invoice", "inv1", "tag", "vip", True)
        assert added.change is not None and again.change is None
        event = change_event(added.change, added.record)
        removed = set_membership(session, tenant, "invoice", "inv1", "tag", "vip", False)
        assert removed.record.tags == []
    assert (event["type"], event["data"]["tag"], event["data"]["tags"]) == (
        "invoice.tag_added",
        "vip",
        ["vip"],
    )
