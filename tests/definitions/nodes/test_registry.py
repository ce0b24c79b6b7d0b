"""The node-type registry (definitions.nodes): every type declared once, its names and keys
consistent, and what the drivers read of it."""

from __future__ import annotations

import pytest

from definitions.nodes import (
    ACTION_TYPES,
    EDGE_LABELS,
    NODE_TYPES,
    PAUSING_TYPES,
    REGISTRY,
    alias_defaults,
    canonical_node_type,
    known_config_keys,
    records,
    type_aliases,
)
from definitions.record_actions import RECORD_ACTIONS

TYPES = pytest.mark.parametrize("declared", REGISTRY.values(), ids=list(REGISTRY))


def test_every_alias_names_one_type_and_no_alias_is_a_canonical_name() -> None:
    aliases = [alias for declared in REGISTRY.values() for alias in declared.aliases]
    assert len(aliases) == len(set(aliases))
    assert not set(aliases) & NODE_TYPES
    assert all(canonical_node_type(f" {a.upper()} ") == t for a, t in type_aliases().items())
    assert alias_defaults("create_task") == {"record_type": "task"}
    assert alias_defaults("send_email") == {}


@TYPES
def test_a_types_needs_aliases_and_schema_keys_are_keys_it_knows(declared) -> None:
    known = declared.known_keys()
    assert {key for group in declared.needs for key in group} <= known
    assert set(declared.key_aliases.values()) <= known
    if not declared.open_keys:  # a new record's fields may be any key
        assert set(declared.schema) - {"then", "else", "on_timeout"} <= known


def test_known_config_keys_include_the_aliases_and_are_open_only_for_a_new_records_fields() -> None:
    assert {"to", "to_email", "template_id", "recipient"} <= (
        known_config_keys("send_email") or set()
    )
    assert "record_type" in (known_config_keys("update_record") or set())  # from update_contact
    assert known_config_keys("create_record") is None
    assert known_config_keys("fax") is None


def test_the_families_sets_are_what_the_engine_reads() -> None:
    assert {t.name for t in records.TYPES} == RECORD_ACTIONS | {"export"}
    assert {"wait", "wait_for_event", "wait_condition"} == PAUSING_TYPES
    assert {"send_email", "http_request", "create_record", "export"} <= ACTION_TYPES
    assert not ACTION_TYPES & {"wait", "condition", "for_each", "goal", "stop"}
    assert {"true", "false", "error", "received", "timeout", "body", "branch",
                           "default"} == EDGE_LABELS  # fmt: skip
