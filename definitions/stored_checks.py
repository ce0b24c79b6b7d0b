"""Checks of a definition against the tenant's stored data, which validation can read (issue 12).

Pure: the caller passes what it looked up (``StoredData``). They are validation's, not the
engine's: a definition stays loadable without them, and a run still fails a step whose template
or record is missing, with the same message.

- a ``send_email`` ``template`` (``template_id``) that names no stored email template is an
  error: the step could only fail;
- a ``query_records`` of a record type with no records, when its singular or plural form has
  some (``invoices`` and ``invoice``), is a warning: the query would answer nothing;
- an ``event_types`` entry that no stored ``event_type`` record has as its id, slug or name
  is an error, when the tenant stores event types at all;
- another workflow of the tenant with the same name is a warning (the scheduling document
  wants names unique; Relay identifies workflows by id and does not refuse a second one).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from definitions.errors import Problem
from definitions.locating import locate
from definitions.models import Definition
from definitions.record_actions import TYPE_KEYS, first
from definitions.templates import has_expression


@dataclass(frozen=True)
class StoredData:
    """What validation asks of the tenant's store."""

    template_exists: Callable[[str], bool]
    record_count: Callable[[str], int]
    """How many records of a type the tenant stores (0 when none)."""
    same_name: Callable[[str], bool]
    """Whether another of the tenant's workflows (not archived) has this name."""
    event_types: Callable[[], set[str] | None] = lambda: None
    """The ids, slugs and names of the tenant's stored ``event_type`` records; None without
    any (then the scheduling document's ``event_types`` cannot be checked)."""


def stored_data_problems(
    definition: Definition,
    name: str | None,
    stored: StoredData,
    field_paths: Mapping[str, str] | None = None,
) -> tuple[list[Problem], list[Problem]]:
    """The errors and warnings of ``definition`` (named ``name``) against ``stored``."""
    paths = field_paths or {}
    errors: list[Problem] = []
    warnings: list[Problem] = []
    for index, node in enumerate(definition.nodes):
        config = node.config
        template = config.get("template")
        is_email = node.type == "send_email" and _literal(template)
        if is_email and not stored.template_exists(str(template)):
            path = locate(paths, f"nodes[{index}].config.template")
            message = f"no email template is named {str(template)!r}: store it first"
            errors.append(Problem(path, message))
        record_type = first(config, TYPE_KEYS)
        if node.type == "query_records" and _literal(record_type):
            advice = _record_type_message(str(record_type), stored.record_count)
            if advice:
                key = next(k for k in TYPE_KEYS if config.get(k) == record_type)
                warnings.append(Problem(locate(paths, f"nodes[{index}].config.{key}"), advice))
    if name and stored.same_name(name):
        warnings.append(Problem("name", f"another workflow is named {name!r}"))
    return errors, warnings


def event_type_problems(chosen: object, stored: StoredData) -> list[Problem]:
    """The scheduling document's rule "event type filters must exist": each entry of
    ``event_types`` names a stored ``event_type`` record (by id, slug or name), when the tenant
    stores any."""
    if not isinstance(chosen, list):
        return []
    known = stored.event_types()
    if known is None:
        return []
    return [
        Problem(f"event_types[{index}]", f"no stored event_type has the id, slug or name {item!r}")
        for index, item in enumerate(chosen)
        if str(item) not in known
    ]


def _literal(value: object) -> bool:
    return (
        isinstance(value, str | int)
        and not isinstance(value, bool)
        and not (isinstance(value, str) and (not value or has_expression(value)))
    )


def _record_type_message(record_type: str, count: Callable[[str], int]) -> str | None:
    if count(record_type):
        return None
    for other in _other_number(record_type):
        if count(other):
            stored = f"no {record_type!r} records are stored, but {other!r} records are"
            return f"{stored}: did you mean {other!r}?"
    return None


def _other_number(word: str) -> list[str]:
    """The singular or plural forms ``word`` may have been meant as (English, simply)."""
    if word.endswith("ies"):
        return [word[:-3] + "y"]
    if word.endswith("es"):
        return [word[:-2], word[:-1]]
    if word.endswith("s"):
        return [word[:-1]]
    if word.endswith("y"):
        return [word[:-1] + "ies", word + "s"]
    return [word + "s", word + "es"]
