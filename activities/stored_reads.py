"""What a simulation reads from the tenant's stored data: the live activities' own code, with
nothing written.

A simulated run must take the path and render the content a live run of the same event would
(issue 12): a stored email template is rendered as ``send_email`` renders it, a record query
answers what it would answer, and a step that names a missing template or record fails as it
would live. So the recorder (``activities.simulated``) hands those steps to the live classes
here, which keep their behaviour and lose their writes: their transactions are rolled back,
their bookkeeping (the run's step rows) and their events are left out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from activities.actions import Actions
from activities.record_actions import RecordActions, make_change, record_view
from storage.records import Changed
from workflows.contract import ActionInput

RECORD_ACTIONS = frozenset(
    {"create_record", "update_record", "delete_record", "add_tag", "remove_tag", "add_to_list",
     "remove_from_list", "add_note", "query_records"}
)  # fmt: skip
"""The record steps a simulation runs against the stored records, rolled back."""


class StoredReads:
    """The simulation's view of one database: read, never written."""

    def __init__(self, engine: Engine) -> None:
        self._templates = _Templates(engine)
        self._records = _RolledBackRecords(engine)

    async def email_content(
        self, tenant_id: str, config: dict[str, Any], context: dict[str, Any] | None
    ) -> tuple[str, str | None, str | None]:
        """Subject, text and html as the live ``send_email`` builds them (a stored
        ``template`` rendered with the run context); raises its permanent errors."""
        return await self._templates._email_content(tenant_id, config, context)

    async def record_action(self, name: str, input: ActionInput) -> Any:
        """What the live record step ``name`` answers for ``input``, with nothing kept."""
        method: Callable[[ActionInput], Any] = getattr(self._records, name)
        return await method(input)


class _Templates(Actions):
    """``Actions`` for its template rendering only: it is never given a transport."""

    def __init__(self, engine: Engine) -> None:  # no transports: nothing is sent
        self._engine = engine


class _RolledBackRecords(RecordActions):
    """``RecordActions`` whose changes are made in a transaction that is rolled back, with no
    step bookkeeping and no events: the output and the failures of the live step."""

    def _read(self, input: ActionInput, work: Callable[[Session], Any]) -> Any:
        with Session(self._engine) as session:
            result = work(session)
            session.rollback()
        return result

    def _apply(
        self, input: ActionInput, change: Callable[[Session, str], Changed]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        with Session(self._engine) as session:
            changed = make_change(session, input, change)
            last, record = changed.change, changed.record
            if last is not None and last.kind == "deleted":
                view = {**last.previous, "id": last.record_id, "record_type": last.record_type}
                output: dict[str, Any] = {"deleted": True, "record": view, "changed": True}
            else:
                output = {"record": record_view(record), "changed": last is not None}
            session.rollback()
        return output, []

    def _complete(self, input: ActionInput, output: Any) -> None:
        """The simulation records its steps itself."""
