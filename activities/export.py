"""The ``export`` action: a CSV of the records matching a filter, stored and linked, optionally
emailed.

Like the other actions it records its own step. The export is made in the transaction that
marks the step running, under the step's idempotency key, so a retried step finds the export
it made (and its link stays the same); the email goes through the delivery actions' email
path (``Actions.deliver_email``), which sends it once per key and logs the delivery.
"""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session
from temporalio import activity

from activities.actions import Actions
from activities.bookkeeping import complete_action, start_action
from activities.email import EmailMessage
from definitions.errors import DefinitionError
from definitions.exports import (
    Column,
    ExportSpec,
    csv_cell,
    default_columns,
    export_spec,
    value_at,
)
from storage.db import session_scope
from storage.exports import export_for_key, save_export
from storage.models import Export, Record
from storage.records import query_records
from storage.signed_links import export_link
from workflows.contract import ActionInput, permanent

DEFAULT_PUBLIC_URL = "http://localhost:8000"
DEFAULT_LINK_TTL = timedelta(days=7)
"""How long an emailed download link works."""
MAX_CSV_CHARS = 20_000_000
"""An export larger than this fails (permanently) rather than filling the database."""


@dataclass(frozen=True)
class Made:
    export_id: str
    rows: int
    truncated: bool
    created_at: datetime


def download_url(public_url: str, export_id: str) -> str:
    return f"{public_url.rstrip('/')}/v1/exports/{export_id}/download"


def records_csv(records: list[Record], columns: list[Column] | None) -> tuple[str, list[str]]:
    """The CSV (RFC 4180: a header row, CRLF line ends, quotes where a cell needs them) of
    ``records`` and its column names; without ``columns``, ``id`` and every data key."""
    columns = columns or default_columns([record.data for record in records])
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_cell(column.name) for column in columns])
    for record in records:
        writer.writerow([csv_cell(_value(record, column)) for column in columns])
    return out.getvalue(), [column.name for column in columns]


class Exports:
    def __init__(
        self,
        engine: Engine,
        mailer: Actions,
        public_url: str = DEFAULT_PUBLIC_URL,
        link_key: bytes | None = None,
        link_ttl: timedelta = DEFAULT_LINK_TTL,
    ):
        self._engine = engine
        self._mailer = mailer
        self._public_url = public_url
        self._link_key = link_key
        """Signs emailed links (``storage.signed_links``); None: links need an API key."""
        self._link_ttl = link_ttl

    @activity.defn(name="export")
    async def export(self, input: ActionInput) -> dict[str, Any]:
        try:
            spec = export_spec(input.config)
        except DefinitionError as exc:
            raise permanent(str(exc), "invalid_config") from exc
        made = await asyncio.to_thread(self._make, input, spec)
        url = download_url(self._public_url, made.export_id)
        output: dict[str, Any] = {"export_id": made.export_id, "rows": made.rows, "url": url}
        if spec.email_to:
            link, expires_at = url, None
            if self._link_key is not None:
                # From the export's creation, so a retried step emails the same link.
                expires_at = made.created_at + self._link_ttl
                link = export_link(
                    self._public_url, self._link_key, input.run.tenant_id, made.export_id,
                    expires_at,
                )  # fmt: skip
                output["link_expires_at"] = expires_at.isoformat()
            await self._mailer.deliver_email(input, _email(input, spec, made, link, expires_at))
        if made.truncated:
            output["truncated"] = True
        await asyncio.to_thread(self._complete, input, output)
        return output

    def _make(self, input: ActionInput, spec: ExportSpec) -> Made:
        """One transaction: the step is running, and the export is made (or found made)."""
        tenant, key = input.run.tenant_id, input.idempotency_key
        with session_scope(self._engine) as session:
            start_action(session, input)
            export = export_for_key(session, tenant, key)
            if export is None:
                export = save_export(session, self._build(session, input, spec))
            else:
                activity.logger.info("step %s made its export already", input.step.step_key)
            return Made(export.id, export.row_count, export.truncated, export.created_at)

    @staticmethod
    def _build(session: Session, input: ActionInput, spec: ExportSpec) -> Export:
        tenant, key = input.run.tenant_id, input.idempotency_key
        try:
            records, more = query_records(
                session, tenant, spec.record_type, spec.clauses, sort=spec.sort, limit=spec.limit
            )
        except DefinitionError as exc:
            raise permanent(str(exc), "invalid_filter") from exc
        content, columns = records_csv(records, spec.columns)
        if len(content) > MAX_CSV_CHARS:
            raise permanent(
                f"the export would be over {MAX_CSV_CHARS:,} characters: "
                "narrow the filter, name fewer columns or lower the limit",
                "export_too_large",
            )
        return Export(
            id="exp_" + hashlib.sha256(f"{tenant}\n{key}".encode()).hexdigest()[:24],
            tenant_id=tenant,
            idempotency_key=key,
            run_id=input.run.run_id,
            record_type=spec.record_type,
            filter=spec.filter,
            sort=spec.sort_text,
            columns=columns,
            row_count=len(records),
            truncated=more is not None,
            content=content,
            created_at=datetime.now(UTC),
        )

    def _complete(self, input: ActionInput, output: dict[str, Any]) -> None:
        with session_scope(self._engine) as session:
            complete_action(session, input, output)


def _value(record: Record, column: Column) -> Any:
    if column.of_record:
        value = getattr(record, "record_id" if column.name == "id" else column.name)
        return value.isoformat() if isinstance(value, datetime) else value
    return value_at(record.data, column.path)


def _email(
    input: ActionInput, spec: ExportSpec, made: Made, url: str, expires_at: datetime | None
) -> EmailMessage:
    rows = f"{made.rows} {spec.record_type} record{'s' if made.rows != 1 else ''}"
    more = " (more matched: the export stops at its row limit)" if made.truncated else ""
    return EmailMessage(
        to=spec.email_to,
        subject=spec.email_subject or f"Your {spec.record_type} export is ready",
        text=f"Your export of {rows}{more} is ready:\n\n{url}\n\n"
        + (
            f"The link works until {expires_at:%Y-%m-%d %H:%M} UTC; no sign-in needed.\n"
            if expires_at
            else "Download it with an API key of your workspace.\n"
        ),
        message_id=input.idempotency_key,
    )
