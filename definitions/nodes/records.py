"""Actions on the record store: create, update, delete and query records, tags, lists, notes,
and ``export`` (a CSV of records, stored and linked).

The reference documents name the same things differently; ``definitions.record_actions`` reads
each under all its names (``record_type`` / ``entity_type`` / ``entity``…) at run time, and
``definitions.exports`` what an export reads.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from definitions.exports import FORMATS as EXPORT_FORMATS
from definitions.exports import MAX_COLUMNS, MAX_ROWS, export_problems
from definitions.models import Node
from definitions.nodes.actions import FAILS
from definitions.nodes.fields import (
    DATA,
    Absent,
    ExportEmail,
    Names,
    RecordFilter,
    Template,
    optional,
    param,
)
from definitions.nodes.spec import NodeType, keyed
from definitions.record_actions import (
    FIELDS_KEYS,
    ID_KEYS,
    NOTE_KEYS,
    TYPE_KEYS,
    record_action_problems,
)


def _record_problems(node: Node) -> list[tuple[str, str]]:
    return record_action_problems(node.type, node.config)


def _export_problems(node: Node) -> list[tuple[str, str]]:
    return export_problems(node.config)


_RECORD = frozenset(TYPE_KEYS)
_ONE_RECORD = _RECORD | frozenset(ID_KEYS)
_CHECK = (keyed(_record_problems),)
_RECORD_TYPE = param(str | Absent, optional("the record type: contact, lead, deal, task…"))
_ENTITY_TYPE = param(str | Absent, optional("another name for record_type"))
_ENTITY = param(str | Absent, optional("another name for record_type"))
_RECORD_ID = param(str | Absent, optional("the record acted on (default: the run's entity)"))
_ENTITY_ID = param(str | Absent, optional("another name for record_id"))
_FIELDS = param(
    dict[str, Any] | Template | Absent,
    optional("the record's fields to set (an update merges; null removes a field)"),
)
_TAGS_PARAM = param(
    Names | Absent, optional("tags (add_tag: several; create_record: the new record's)")
)


def _record_type(name: str, keys: frozenset[str], **declared: Any) -> NodeType:
    return NodeType(name, "action", keys=keys, leaving=FAILS, checks=_CHECK, **declared)


CREATE_RECORD = _record_type(
    "create_record",
    _RECORD | frozenset(FIELDS_KEYS) | {"tags", "lists"},
    # every other key is a field of the new record (create_task's title, assignee…)
    open_keys=True,
    aliases={
        "create_task": {"record_type": "task"},
        "create_deal": {"record_type": "deal"},
        "create_ticket": {"record_type": "ticket"},
    },
    needs=(TYPE_KEYS,),
    schema={
        "record_type": _RECORD_TYPE,
        "entity_type": _ENTITY_TYPE,
        "entity": _ENTITY,
        "fields": _FIELDS,
        "data": DATA,
        "tags": _TAGS_PARAM,
        "lists": param(Names | Absent, optional("create_record: the lists the new record is on")),
        "title": param(str | Absent, optional("create_task: the task's title")),
        "description": param(str | Absent, optional("create_task/create_ticket: the details")),
        "assignee": param(str | Absent, optional("create_task: who does it")),
        "due_date": param(str | Absent, optional('create_task: an ISO date, or "{{ today + 2 }}"')),
        "due_days": param(
            Template | int | Absent, optional("create_task: due this many days from today")
        ),
        "priority": param(str | int | Absent, optional("create_task: low, normal, high…")),
    },
)
UPDATE_RECORD = _record_type(
    "update_record",
    _ONE_RECORD | frozenset(FIELDS_KEYS) | {"field", "value"},
    aliases={
        "update_field": {},
        "update_contact": {"record_type": "contact"},
        "update_deal": {"record_type": "deal"},
        "update_booking": {"record_type": "booking"},
    },
    needs=((*FIELDS_KEYS, "field"),),
    schema={
        "record_id": _RECORD_ID,
        "entity_id": _ENTITY_ID,
        "fields": _FIELDS,
        "update_booking_fields": param(
            dict[str, Any] | Absent, optional("a booking update's fields")
        ),
        "field": param(str | Absent, optional("update_field: the one field to set (to value)")),
    },
)
DELETE_RECORD = _record_type("delete_record", _ONE_RECORD)
QUERY_RECORDS = _record_type(
    "query_records",
    _RECORD | {"filter", "filters", "sort", "limit"},
    needs=(TYPE_KEYS,),
    schema={
        "filter": param(
            RecordFilter | Absent,
            optional(
                'query_records/export: {"status": "open", "score": {"$gte": 7}} ($eq $ne $gt '
                "$gte $lt $lte $in $nin $contains $exists; dotted paths)"
            ),
        ),
        "filters": param(RecordFilter | Absent, optional("another name for filter")),
        "sort": param(
            str | Absent,
            optional('a field to order by, "-" in front for descending: "-score"'),
        ),
        "limit": param(
            Annotated[int, Field(ge=1, le=MAX_ROWS)] | Template | Absent,
            optional("at most this many records"),
        ),
    },
)
_TAG_KEYS = _ONE_RECORD | {"tag", "tags"}
ADD_TAG = _record_type(
    "add_tag",
    _TAG_KEYS,
    aliases={"contact_tag_added": {}},
    needs=(("tag", "tags"),),
    schema={
        "tag": param(str | Absent, optional("add_tag/remove_tag: the tag")),
        "tags": _TAGS_PARAM,
    },
)
REMOVE_TAG = _record_type(
    "remove_tag", _TAG_KEYS, aliases={"contact_tag_removed": {}}, needs=(("tag", "tags"),)
)
_LISTS = _ONE_RECORD | {"list"}
ADD_TO_LIST = _record_type(
    "add_to_list",
    _LISTS,
    aliases={"contact_list_added": {}},
    needs=(("list",),),
    schema={
        "list": param(str | Absent, optional("add_to_list/remove_from_list: the list")),
    },
)
REMOVE_FROM_LIST = _record_type(
    "remove_from_list", _LISTS, aliases={"contact_list_removed": {}}, needs=(("list",),)
)
ADD_NOTE = _record_type(
    "add_note",
    _ONE_RECORD | frozenset(NOTE_KEYS) | {"visibility", "author", "title"},
    needs=(NOTE_KEYS,),
    schema={
        "note": param(str | Absent, optional("add_note: the note's text")),
        "content": param(str | Absent, optional("add_note: another name for note")),
        "visibility": param(
            str | Absent, optional("add_note: who may see it", examples=["internal"])
        ),
    },
)
EXPORT = NodeType(
    "export",
    "action",
    keys=_RECORD
    | {
        "filter",
        "filters",
        "sort",
        "limit",
        "columns",
        "format",
        "export_type",
        "email",
        "email_to",
        "email_subject",
    },  # fmt: skip
    aliases={"enqueue_export": {}},
    needs=(TYPE_KEYS,),
    checks=(keyed(_export_problems),),
    leaving=FAILS,
    schema={
        "columns": param(
            list[str] | Template | Absent,
            optional(
                f"field paths to export (default: id and every data key; at most {MAX_COLUMNS})"
            ),
        ),
        "format": param(str | Absent, optional("the export's format", enum=list(EXPORT_FORMATS))),
        "export_type": param(
            str | Absent, optional("another name for format", enum=list(EXPORT_FORMATS))
        ),
        "email": param(ExportEmail | Absent, optional("email the download link: {to, subject}")),
        "email_to": param(str | list[str] | Absent, optional("another way to give email.to")),
    },
)

TYPES = (
    CREATE_RECORD, UPDATE_RECORD, DELETE_RECORD, QUERY_RECORDS, ADD_TAG, REMOVE_TAG,
    ADD_TO_LIST, REMOVE_FROM_LIST, ADD_NOTE, EXPORT,
)  # fmt: skip
