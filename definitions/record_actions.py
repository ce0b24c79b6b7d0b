"""What the record actions read from their configuration (pure: shared by validation, the
interpreter and the activities).

The reference documents name the same things differently — ``record_type`` / ``entity_type`` /
``entity``, ``record_id`` / ``entity_id``, ``fields`` / ``update_booking_fields`` / ``field`` +
``value`` — so each is looked up under all its names here, once. An action without a record id
acts on the run's own record: the trigger's entity, ``contact:c_1`` (the record's events name
their entity so) or a bare id.
"""

from __future__ import annotations

from typing import Any

from definitions.errors import DefinitionError
from definitions.record_filters import parse_filter, parse_sort

RECORD_ACTIONS = frozenset(
    {"create_record", "update_record", "delete_record", "query_records", "add_tag", "remove_tag",
     "add_to_list", "remove_from_list", "add_note"}
)  # fmt: skip
TARGETED = RECORD_ACTIONS - {"create_record", "query_records"}
"""Actions on one existing record: without an id they act on the run's entity."""

TYPE_KEYS = ("record_type", "entity_type", "entity")
ID_KEYS = ("record_id", "entity_id")
FIELDS_KEYS = ("fields", "update_booking_fields", "values", "data")
NOTE_KEYS = ("note", "body", "text", "content")
CONTROL_KEYS = frozenset({*TYPE_KEYS, *ID_KEYS, *FIELDS_KEYS, "tags", "lists", "field", "value"})

UPDATABLE_FIELDS: dict[str, frozenset[str]] = {
    # The scheduling document's update_booking action may change only these.
    "booking": frozenset(
        {"status", "cancellation_reason", "meeting_link", "meeting_id", "meeting_password",
         "custom_answers"}
    ),
}  # fmt: skip


def first(config: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """The value of the first of ``keys`` that ``config`` holds (not empty), else None."""
    for key in keys:
        if config.get(key) not in (None, ""):
            return config[key]
    return None


def with_record_target(config: dict[str, Any], entity: Any) -> dict[str, Any]:
    """``config`` with ``record_type``/``record_id`` taken from the run's ``entity`` when it names
    no record id itself."""
    if first(config, ID_KEYS) is not None or entity in (None, ""):
        return config
    record_type = first(config, TYPE_KEYS)
    kind, sep, ident = str(entity).partition(":")
    if sep and ident and record_type in (None, kind):
        return {**config, "record_type": kind, "record_id": ident}
    if not sep and record_type is not None:
        return {**config, "record_id": str(entity)}
    return config


def update_fields(config: dict[str, Any]) -> Any:
    """The fields an ``update_record`` sets: an object, or the CRM's ``field`` + ``value``."""
    fields = first(config, FIELDS_KEYS)
    if fields is None and isinstance(config.get("field"), str):
        return {config["field"]: config.get("value")}
    return fields


def create_fields(config: dict[str, Any]) -> Any:
    """The fields of a new record: ``fields`` (or its synonyms), else every key of the step
    that is not the record's type, id, tags or lists (``create_task``'s title, assignee…)."""
    fields = first(config, FIELDS_KEYS)
    if fields is not None:
        return fields
    return {k: v for k, v in config.items() if k not in CONTROL_KEYS}


def disallowed_fields(record_type: Any, fields: Any) -> list[str]:
    """The fields of ``fields`` an update of ``record_type`` may not change."""
    allowed = UPDATABLE_FIELDS.get(str(record_type))
    if allowed is None or not isinstance(fields, dict):
        return []
    return sorted(str(key) for key in fields if key not in allowed)


def record_action_problems(node_type: str, config: dict[str, Any]) -> list[tuple[str, str]]:
    """Problems of a record action's literal configuration as (config key path, message)."""
    problems: list[tuple[str, str]] = []
    if node_type == "query_records":
        key = "filters" if "filters" in config and "filter" not in config else "filter"
        for parse, name in ((parse_filter, key), (parse_sort, "sort")):
            value = config.get(name)
            if isinstance(value, str) and "{{" in value:
                continue  # a template: known at run time
            try:
                parse(value, name)
            except DefinitionError as exc:
                problems += [(p.path, p.message) for p in exc.problems]
    if node_type == "update_record":
        fields = update_fields(config)
        if fields is not None and not isinstance(fields, dict | str):
            problems.append(("fields", "fields is an object of field names and values"))
        record_type = first(config, TYPE_KEYS)
        if refused := disallowed_fields(record_type, fields):
            allowed = ", ".join(sorted(UPDATABLE_FIELDS[str(record_type)]))
            key = next((k for k in FIELDS_KEYS if k in config), "field")
            problems.append(
                (key, f"a {record_type} update may change only {allowed}, not {', '.join(refused)}")
            )
    return problems
