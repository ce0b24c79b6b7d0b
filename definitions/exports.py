"""What an ``export`` step reads from its configuration, and how a value becomes a CSV cell
(pure: shared by validation and the activity).

``{"record_type": "lead", "filter": {"status": "qualified"}, "columns": ["id", "email"],
"sort": "-score", "email": {"to": "ann@acme.com", "subject": "Qualified leads"}}`` — the filter
and sort are the record store's (``definitions.record_filters``); the CRM document's spelling
(``entity_type``, ``filters``, ``email_to``, ``export_type: csv``) is read too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from definitions.errors import DefinitionError, Problem, join_path
from definitions.record_actions import TYPE_KEYS, first
from definitions.record_filters import Clause, SortKey, parse_field, parse_filter, parse_sort
from definitions.templates import is_template

FORMATS = ("csv",)
MAX_ROWS = 10_000
"""Rows an export holds at most; more matching records mark it ``truncated``."""
MAX_COLUMNS = 100
RECORD_FIELDS = frozenset({"id", "tags", "lists", "created_at", "updated_at"})
"""Columns read from the record itself rather than its data (as in the filter language)."""
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""A text cell starting so is a formula to a spreadsheet (CSV injection): it gets a ``'``."""


@dataclass(frozen=True)
class Column:
    name: str
    """The header, as written."""
    path: tuple[str, ...]
    of_record: bool = False
    """Read from the record itself (``id``, ``tags``…), not from its data."""


@dataclass(frozen=True)
class ExportSpec:
    record_type: str
    filter: dict[str, Any] | None
    clauses: list[Clause]
    sort: SortKey | None
    sort_text: str | None
    columns: list[Column] | None
    """None: ``id`` and every data key of the exported records (``default_columns``)."""
    limit: int = MAX_ROWS
    email_to: list[str] = field(default_factory=list)
    email_subject: str | None = None


def export_spec(config: dict[str, Any]) -> ExportSpec:
    """The export a rendered configuration asks for; raises ``DefinitionError`` with every
    problem at its key (``filter.score.$gte``, ``columns[2]``)."""
    problems = [Problem(path, message) for path, message in export_problems(config)]
    if first(config, TYPE_KEYS) in (None, ""):
        problems.append(Problem("record_type", "export needs 'record_type'"))
    if problems:
        raise DefinitionError(problems)
    filter_key = _filter_key(config)
    sort_text = config.get("sort") or None
    return ExportSpec(
        record_type=str(first(config, TYPE_KEYS)),
        filter=config.get(filter_key) or None,
        clauses=parse_filter(config.get(filter_key), filter_key),
        sort=parse_sort(sort_text),
        sort_text=sort_text,
        columns=_columns(config.get("columns")),
        limit=int(config.get("limit") or MAX_ROWS),
        email_to=_addresses(_email(config).get("to")),
        email_subject=_email(config).get("subject") or None,
    )


def export_problems(config: dict[str, Any]) -> list[tuple[str, str]]:
    """Problems of an export's literal configuration as (config key path, message); a
    templated value is known at run time only."""
    problems: list[tuple[str, str]] = []
    filter_key = _filter_key(config)
    for parse, name in ((parse_filter, filter_key), (parse_sort, "sort")):
        if is_template(config.get(name)):
            continue
        try:
            parse(config.get(name), name)
        except DefinitionError as exc:
            problems += [(p.path, p.message) for p in exc.problems]
    record_type = first(config, TYPE_KEYS)
    if not (record_type is None or is_template(record_type) or _is_type_name(record_type)):
        key = next(k for k in TYPE_KEYS if config.get(k) not in (None, ""))
        problems.append((key, "a record type is a name of at most 64 characters"))
    kind = config.get("format", config.get("export_type"))
    if kind is not None and not is_template(kind) and kind not in FORMATS:
        key = "format" if "format" in config else "export_type"
        problems.append((key, f"an export's format is {' or '.join(FORMATS)}"))
    if not is_template(columns := config.get("columns")):
        try:
            _columns(columns)
        except DefinitionError as exc:
            problems += [(p.path, p.message) for p in exc.problems]
    limit = config.get("limit")
    if not (limit is None or is_template(limit) or (type(limit) is int and 1 <= limit <= MAX_ROWS)):
        problems.append(("limit", f"limit is a whole number from 1 to {MAX_ROWS}"))
    email = config.get("email")
    if not (email is None or is_template(email) or (isinstance(email, dict) and email.get("to"))):
        problems.append(("email", 'email is {"to": address(es), "subject": text}'))
    return problems


def default_columns(data: list[dict[str, Any]]) -> list[Column]:
    """``id``, then every key of the records' data in alphabetical order, at most
    ``MAX_COLUMNS`` in all (a key is a column whatever characters it holds; a data key named
    like a record field, ``tags``, reads the data)."""
    keys = sorted({str(key) for item in data for key in item} - {"id"})
    id_column = Column("id", ("id",), of_record=True)
    return [id_column] + [Column(key, (key,)) for key in keys[: MAX_COLUMNS - 1]]


def value_at(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    """The value at ``path`` in nested objects; None where the path leads nowhere."""
    value: Any = data
    for segment in path:
        if not isinstance(value, dict):
            return None
        value = value.get(segment)
    return value


def csv_cell(value: Any) -> str:
    """``value`` as CSV cell text: empty for null, ``true``/``false``, numbers as written,
    lists and objects as compact JSON; text that a spreadsheet would run as a formula
    (``=…``, ``+…``, ``-…``, ``@…``) is prefixed with ``'`` so it is shown, not run. Numbers
    are left alone: ``-5`` is a number to a spreadsheet, not a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _columns(value: Any) -> list[Column] | None:
    if value in (None, []):
        return None
    if not isinstance(value, list) or len(value) > MAX_COLUMNS:
        raise DefinitionError.at("columns", f"columns is a list of at most {MAX_COLUMNS} fields")
    columns: list[Column] = []
    problems: list[Problem] = []
    for index, name in enumerate(value):
        where = join_path("columns", index)
        try:
            if not isinstance(name, str):
                raise DefinitionError.at(where, "a column is a field path (like 'owner.email')")
            path = parse_field(name, where)
            columns.append(Column(name, path, of_record=name in RECORD_FIELDS))
        except DefinitionError as exc:
            problems += exc.problems
    if problems:
        raise DefinitionError(problems)
    return columns


def _filter_key(config: dict[str, Any]) -> str:
    return "filters" if "filters" in config and "filter" not in config else "filter"


def _email(config: dict[str, Any]) -> dict[str, Any]:
    email = config.get("email")
    if isinstance(email, dict):
        return email
    return {"to": config.get("email_to"), "subject": config.get("email_subject")}


def _addresses(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _is_type_name(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 64
