"""The record store: records of any type, each change logged with the values it replaced.

Every write returns a ``Changed``: the record and the ``RecordChange`` it made (None when the
write changed nothing), so the caller can emit the change's event (``change_event``) once the
transaction has committed. A change made with an idempotency key is made once: the same key
again finds the change already made (``change_for_key``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlmodel import Session, col, select

from definitions.record_filters import Clause, SortKey
from storage.models import Record, RecordChange
from storage.record_query import page, where_clause


class RecordExists(ValueError):
    """A record of that type and id exists already."""


class RecordNotFound(LookupError):
    pass


@dataclass
class Changed:
    record: Record
    """After the change; for a deletion, as it was."""
    change: RecordChange | None
    """None when nothing changed (the same values, a tag already there)."""


MEMBERSHIP_KINDS = {"tag": "tags", "list": "lists"}


def get_record(session: Session, tenant_id: str, record_type: str, record_id: str) -> Record | None:
    return session.exec(
        select(Record).where(
            Record.tenant_id == tenant_id,
            Record.type == record_type,
            Record.record_id == record_id,
        )
    ).first()


def require_record(session: Session, tenant_id: str, record_type: str, record_id: str) -> Record:
    record = get_record(session, tenant_id, record_type, record_id)
    if record is None:
        raise RecordNotFound(f"no {record_type} {record_id!r}")
    return record


def change_for_key(session: Session, tenant_id: str, key: str) -> RecordChange | None:
    """The change made under idempotency key ``key``, if one was."""
    return session.exec(
        select(RecordChange).where(
            RecordChange.tenant_id == tenant_id, RecordChange.idempotency_key == key
        )
    ).first()


def create_record(
    session: Session,
    tenant_id: str,
    record_type: str,
    record_id: str,
    data: dict[str, Any],
    *,
    tags: list[str] | None = None,
    lists: list[str] | None = None,
    source: str = "api",
    key: str | None = None,
) -> Changed:
    if get_record(session, tenant_id, record_type, record_id) is not None:
        raise RecordExists(f"a {record_type} {record_id!r} exists already")
    now = datetime.now(UTC)
    record = Record(
        tenant_id=tenant_id,
        type=record_type,
        record_id=record_id,
        data=dict(data),
        tags=_unique(tags or []),
        lists=_unique(lists or []),
        created_at=now,
        updated_at=now,
    )
    session.add(record)
    session.flush()  # assigns uid
    return Changed(record, _log(session, record, "created", dict(data), {}, source, key))


def update_record(
    session: Session,
    tenant_id: str,
    record_type: str,
    record_id: str,
    fields: dict[str, Any],
    *,
    replace: bool = False,
    source: str = "api",
    key: str | None = None,
) -> Changed:
    """Merge ``fields`` into the record's data (JSON merge patch: null removes a field, objects
    merge), or ``replace`` it whole. The change keeps the original values of what changed."""
    record = require_record(session, tenant_id, record_type, record_id)
    old = record.data
    new = dict(fields) if replace else merge_patch(old, fields)
    keys = old.keys() | new.keys()
    changed = sorted(k for k in keys if old.get(k, _ABSENT) != new.get(k, _ABSENT))
    if not changed:
        return Changed(record, None)
    record.data = new
    _bump(session, record)
    change = _log(
        session,
        record,
        "updated",
        {k: new.get(k) for k in changed},
        {k: old.get(k) for k in changed},
        source,
        key,
    )
    return Changed(record, change)


def delete_record(
    session: Session,
    tenant_id: str,
    record_type: str,
    record_id: str,
    *,
    source: str = "api",
    key: str | None = None,
) -> Changed:
    record = require_record(session, tenant_id, record_type, record_id)
    record.version += 1
    change = _log(session, record, "deleted", {}, dict(record.data), source, key)
    session.delete(record)
    return Changed(record, change)


def set_membership(
    session: Session,
    tenant_id: str,
    record_type: str,
    record_id: str,
    kind: Literal["tag", "list"],
    name: str,
    present: bool,
    *,
    source: str = "api",
    key: str | None = None,
) -> Changed:
    """Add (``present``) or remove tag/list ``name``; nothing changes if it is already so."""
    record = require_record(session, tenant_id, record_type, record_id)
    attribute = MEMBERSHIP_KINDS[kind]
    names: list[str] = list(getattr(record, attribute))
    if (name in names) == present:
        return Changed(record, None)
    setattr(record, attribute, [*names, name] if present else [n for n in names if n != name])
    _bump(session, record)
    verb = "added" if present else "removed"
    return Changed(record, _log(session, record, f"{kind}_{verb}", {kind: name}, {}, source, key))


def query_records(
    session: Session,
    tenant_id: str,
    record_type: str,
    clauses: list[Clause],
    *,
    sort: SortKey | None = None,
    limit: int = 100,
    cursor: str | None = None,
) -> tuple[list[Record], str | None]:
    """One page of the records matching every clause, and the cursor of the next page.

    Raises ``DefinitionError`` for a clause a column cannot answer (``created_at`` compared
    with something that is not an instant), ``InvalidCursor`` for a cursor not handed out.
    """
    dialect = session.get_bind().dialect.name
    query = select(Record).where(Record.tenant_id == tenant_id, Record.type == record_type)
    for clause in clauses:
        query = query.where(where_clause(dialect, clause))
    query, next_cursor = page(query, dialect, sort, limit, cursor)
    rows = list(session.exec(query))
    if len(rows) <= limit:
        return rows, None
    return rows[:limit], next_cursor(rows[limit - 1], limit)


def changes_of(
    session: Session, tenant_id: str, record_type: str, record_id: str
) -> list[RecordChange]:
    """The record's audit trail, oldest first (kept after the record is deleted)."""
    return list(
        session.exec(
            select(RecordChange)
            .where(
                RecordChange.tenant_id == tenant_id,
                RecordChange.record_type == record_type,
                RecordChange.record_id == record_id,
            )
            .order_by(col(RecordChange.id))
        )
    )


def entity_of(record_type: str, record_id: str) -> str:
    """The entity a record's events are about: ``contact:c_1``."""
    return f"{record_type}:{record_id}"


def change_event(change: RecordChange, record: Record | None) -> dict[str, Any]:
    """The event ``change`` emits, as ``POST /v1/events`` takes it: ``<type>.<kind>`` about the
    record's entity, its data the record's fields (plus ``id``, ``record_type``, ``tags``,
    ``lists``, and the ``tag``/``list`` a membership change names); an update carries the
    original values of the changed fields in ``previous``. The event id derives from the
    change, so emitting it again starts nothing twice."""
    if change.kind == "deleted" or record is None:
        fields, tags, lists = dict(change.previous or change.changes), [], []
    else:
        fields, tags, lists = dict(record.data), list(record.tags), list(record.lists)
    data = {
        **fields,
        "id": change.record_id,
        "record_type": change.record_type,
        "tags": tags,
        "lists": lists,
    }
    if change.kind in ("tag_added", "tag_removed", "list_added", "list_removed"):
        data.update(change.changes)
    return {
        "type": f"{change.record_type}.{change.kind}",
        "id": f"record-change-{change.id}",
        "entity": entity_of(change.record_type, change.record_id),
        "occurred_at": change.created_at,
        "data": data,
        "previous": dict(change.previous) if change.kind == "updated" else None,
    }


def merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7396: ``patch`` applied to ``target`` (a new dict; neither is changed)."""
    merged = dict(target)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = merge_patch(merged[key], value)
        else:
            merged[key] = value
    return merged


_ABSENT = object()


def _unique(names: list[str]) -> list[str]:
    return list(dict.fromkeys(names))


def _bump(session: Session, record: Record) -> None:
    record.version += 1
    record.updated_at = datetime.now(UTC)
    session.add(record)


def _log(
    session: Session,
    record: Record,
    kind: str,
    changes: dict[str, Any],
    previous: dict[str, Any],
    source: str,
    key: str | None,
) -> RecordChange:
    change = RecordChange(
        tenant_id=record.tenant_id,
        record_uid=record.uid or 0,
        record_type=record.type,
        record_id=record.record_id,
        kind=kind,
        version=record.version,
        changes=changes,
        previous=previous,
        source=source[:300],
        idempotency_key=key,
        created_at=datetime.now(UTC),
    )
    session.add(change)
    session.flush()  # assigns the id the change's event is named after
    return change
