"""The record actions and ``notify``: one activity per action, over the record store.

Like the delivery actions (``activities.actions``) each records its own step — running, with
the change, in one transaction; completed (and the run closed, when it is the last step) in the
next — so a run needs no extra activity for them. A change carries the step's idempotency key:
a retried step finds the change it made instead of making it twice, and emits the change's
event again under the same event id, which starts nothing twice.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from temporalio import activity

from activities.bookkeeping import complete_action, start_action
from definitions.chain import emitted_chain
from definitions.errors import DefinitionError
from definitions.record_actions import (
    ID_KEYS,
    NOTE_KEYS,
    TYPE_KEYS,
    create_fields,
    disallowed_fields,
    first,
    update_fields,
)
from definitions.record_filters import parse_filter, parse_sort
from storage.db import session_scope
from storage.models import Record, RecordChange, Run
from storage.notifications import notify
from storage.record_query import InvalidCursor
from storage.records import (
    Changed,
    RecordExists,
    RecordNotFound,
    change_event,
    create_record,
    delete_record,
    get_record,
    query_records,
    set_membership,
    update_record,
)
from workflows.contract import ActionInput, permanent

EmitEvent = Callable[[str, dict[str, Any]], Awaitable[None]]
"""(tenant id, event as ``POST /v1/events`` takes it) → the event accepted: stored, the runs it
triggers started, the runs waiting for it signalled (``runs.intake.accept_event``)."""

MAX_QUERY_LIMIT = 1000
Change = Callable[[Session, str], Changed]
"""Makes one change in ``session`` under a ``source`` (raises the store's errors)."""


async def no_events(_tenant_id: str, _event: dict[str, Any]) -> None:
    return None


def record_view(record: Record) -> dict[str, Any]:
    """A record as steps and the API show it: its fields, with id, type, tags and lists."""
    return {
        **record.data,
        "id": record.record_id,
        "record_type": record.type,
        "tags": list(record.tags),
        "lists": list(record.lists),
    }


def make_change(session: Session, input: ActionInput, change: Change) -> Changed:
    """Make the step's change in ``session``; a missing or already existing record is the
    step's permanent failure (no retry can change it)."""
    try:
        return change(session, f"run:{input.run.run_id}:{input.step.step_key}")
    except RecordNotFound as exc:
        raise permanent(str(exc), "record_not_found") from None
    except RecordExists as exc:
        raise permanent(str(exc), "record_exists") from None


class RecordActions:
    def __init__(self, engine: Engine, emit: EmitEvent = no_events) -> None:
        self._engine = engine
        self._emit = emit

    @activity.defn(name="create_record")
    async def create_record(self, input: ActionInput) -> dict[str, Any]:
        config = input.config
        record_type = _required(first(config, TYPE_KEYS), "record_type")
        record_id = str(first(config, ID_KEYS) or _derived_id(input.idempotency_key))
        fields = _object(create_fields(config), "fields")
        if record_type == "task" and "due_days" in fields and not fields.get("due_date"):
            days = fields.pop("due_days")
            fields["due_date"] = (date.today() + timedelta(days=_number(days))).isoformat()

        def change(session: Session, source: str) -> Changed:
            return create_record(
                session, input.run.tenant_id, record_type, record_id, fields,
                tags=_names(config.get("tags")), lists=_names(config.get("lists")),
                source=source, key=input.idempotency_key,
            )  # fmt: skip

        return await self._change(input, change)

    @activity.defn(name="update_record")
    async def update_record(self, input: ActionInput) -> dict[str, Any]:
        record_type, record_id = _target(input.config)
        fields = _object(update_fields(input.config), "fields")
        if refused := disallowed_fields(record_type, fields):
            raise permanent(
                f"a {record_type} update may not change {', '.join(refused)}", "field_not_allowed"
            )

        def change(session: Session, source: str) -> Changed:
            return update_record(
                session, input.run.tenant_id, record_type, record_id, fields,
                source=source, key=input.idempotency_key,
            )  # fmt: skip

        return await self._change(input, change)

    @activity.defn(name="delete_record")
    async def delete_record(self, input: ActionInput) -> dict[str, Any]:
        record_type, record_id = _target(input.config)

        def change(session: Session, source: str) -> Changed:
            return delete_record(
                session, input.run.tenant_id, record_type, record_id,
                source=source, key=input.idempotency_key,
            )  # fmt: skip

        return await self._change(input, change)

    @activity.defn(name="add_tag")
    async def add_tag(self, input: ActionInput) -> dict[str, Any]:
        return await self._membership(input, "tag", True)

    @activity.defn(name="remove_tag")
    async def remove_tag(self, input: ActionInput) -> dict[str, Any]:
        return await self._membership(input, "tag", False)

    @activity.defn(name="add_to_list")
    async def add_to_list(self, input: ActionInput) -> dict[str, Any]:
        return await self._membership(input, "list", True)

    @activity.defn(name="remove_from_list")
    async def remove_from_list(self, input: ActionInput) -> dict[str, Any]:
        return await self._membership(input, "list", False)

    @activity.defn(name="add_note")
    async def add_note(self, input: ActionInput) -> dict[str, Any]:
        """A ``note`` record about the target record (``about``: ``contact:c_1``)."""
        record_type, record_id = _target(input.config)
        body = _required(first(input.config, NOTE_KEYS), "note")
        extra = {k: v for k, v in input.config.items() if k in ("visibility", "author", "title")}
        fields = {"about": f"{record_type}:{record_id}", "body": str(body), **extra}

        def change(session: Session, source: str) -> Changed:
            if get_record(session, input.run.tenant_id, record_type, record_id) is None:
                raise RecordNotFound(f"no {record_type} {record_id!r}")
            return create_record(
                session, input.run.tenant_id, "note", _derived_id(input.idempotency_key), fields,
                source=source, key=input.idempotency_key,
            )  # fmt: skip

        return await self._change(input, change)

    @activity.defn(name="query_records")
    async def query_records(self, input: ActionInput) -> list[dict[str, Any]]:
        """The matching records (their fields, id, type, tags and lists), as a list."""
        config = input.config
        record_type = _required(first(config, TYPE_KEYS), "record_type")
        try:
            clauses = parse_filter(config.get("filter") or config.get("filters"))
            sort = parse_sort(config.get("sort"))
        except DefinitionError as exc:
            raise permanent(str(exc), "invalid_filter") from exc
        limit = min(int(_number(config.get("limit") or MAX_QUERY_LIMIT)), MAX_QUERY_LIMIT)

        def query(session: Session) -> list[dict[str, Any]]:
            rows, _ = query_records(
                session, input.run.tenant_id, record_type, clauses, sort=sort, limit=limit
            )
            return [record_view(row) for row in rows]

        return await asyncio.to_thread(self._read, input, query)

    @activity.defn(name="notify")
    async def notify(self, input: ActionInput) -> dict[str, Any]:
        config = input.config
        recipient = str(_required(config.get("recipient"), "recipient"))
        message = str(_required(first(config, ("message", "body", "text")), "message"))

        def store(session: Session) -> dict[str, Any]:
            row = notify(
                session, input.run.tenant_id, recipient[:200], message,
                link=_optional(config.get("link")),
                kind=_optional(config.get("notification_type") or config.get("kind")),
                data=config.get("data") if isinstance(config.get("data"), dict) else None,
                run_id=input.run.run_id, key=input.idempotency_key,
            )  # fmt: skip
            return {"notification_id": row.id}

        return await asyncio.to_thread(self._read, input, store)

    # --- the shared life of a record action ----------------------------------------------------

    async def _membership(self, input: ActionInput, kind: str, present: bool) -> dict[str, Any]:
        record_type, record_id = _target(input.config)
        names = _names(input.config.get(kind) or input.config.get(f"{kind}s"))
        if not names:
            raise permanent(f"{input.step.type} needs a {kind} name", "invalid_config")

        def change(session: Session, source: str) -> Changed:
            changed = None
            for index, name in enumerate(names):
                # One key per name: a retry finds each change it made.
                key = input.idempotency_key + (f"#{index}" if index else "")
                changed = set_membership(
                    session, input.run.tenant_id, record_type, record_id,
                    kind, name, present, source=source, key=key,  # type: ignore[arg-type]
                )  # fmt: skip
            assert changed is not None
            return changed

        return await self._change(input, change)

    async def _change(self, input: ActionInput, change: Change) -> dict[str, Any]:
        output, events = await asyncio.to_thread(self._apply, input, change)
        for event in events:
            await self._emit(input.run.tenant_id, event)
        await asyncio.to_thread(self._complete, input, output)
        return output

    def _apply(
        self, input: ActionInput, change: Change
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """One transaction: the step is running, and the change is made (or found made)."""
        tenant, key = input.run.tenant_id, input.idempotency_key
        with session_scope(self._engine) as session:
            start_action(session, input)
            made = changes_under(session, tenant, key)
            last: RecordChange | None
            if made:
                activity.logger.info("step %s made its change already", input.step.step_key)
                last = made[-1]
                record = get_record(session, tenant, last.record_type, last.record_id)
            else:
                changed = make_change(session, input, change)
                made = changes_under(session, tenant, key)
                last, record = changed.change, changed.record
            # The events carry this run's chain, so workflows starting each other stop at a depth.
            run = session.get(Run, input.run.run_id)
            chain = emitted_chain(input.run.run_id, run.trigger if run is not None else None)
            events = [{**change_event(c, record), "chain": chain} for c in made]
            if record is None or (last is not None and last.kind == "deleted"):
                assert last is not None  # no record: the step's change deleted it
                view = {**last.previous, "id": last.record_id, "record_type": last.record_type}
                return {"deleted": True, "record": view, "changed": True}, events
            return {"record": record_view(record), "changed": bool(made)}, events

    def _read(self, input: ActionInput, work: Callable[[Session], Any]) -> Any:
        """A step whose work is one transaction: running, the work, completed, all at once."""
        with session_scope(self._engine) as session:
            start_action(session, input)
            result = work(session)
            complete_action(session, input, result)
        return result

    def _complete(self, input: ActionInput, output: Any) -> None:
        with session_scope(self._engine) as session:
            complete_action(session, input, output)


def changes_under(session: Session, tenant: str, key: str) -> list[RecordChange]:
    """The changes a step made: under its idempotency key, and ``key#n`` for its further tags."""
    return list(
        session.exec(
            select(RecordChange)
            .where(
                RecordChange.tenant_id == tenant,
                (col(RecordChange.idempotency_key) == key)
                | col(RecordChange.idempotency_key).startswith(f"{key}#", autoescape=True),
            )
            .order_by(col(RecordChange.id))
        )
    )


def _target(config: dict[str, Any]) -> tuple[str, str]:
    """The record a step acts on (the interpreter fills in the run's entity when none is named)."""
    record_type = _required(first(config, TYPE_KEYS), "record_type")
    record_id = _required(first(config, ID_KEYS), "record_id")
    return str(record_type), str(record_id)


def _derived_id(key: str) -> str:
    """A record id from the step's idempotency key: the same on every retry."""
    return "rec_" + hashlib.sha256(key.encode()).hexdigest()[:24]


def _required(value: Any, name: str) -> Any:
    if value in (None, ""):
        raise permanent(f"the step needs {name!r}", "invalid_config")
    return value


def _object(value: Any, name: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise permanent(f"{name!r} must be an object of field names and values", "invalid_config")
    return dict(value)


def _names(value: Any) -> list[str]:
    if value in (None, ""):
        return []
    items = value if isinstance(value, list) else str(value).split(",")
    return [str(item).strip() for item in items if str(item).strip()]


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        raise permanent(f"{value!r} is not a number", "invalid_config") from None


def _optional(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


__all__ = ["EmitEvent", "InvalidCursor", "RecordActions", "no_events", "record_view"]
