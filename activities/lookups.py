"""Reads the interpreter needs from Relay's own database."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.engine import Engine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from storage.db import session_scope
from storage.workflows import get_version, get_workflow
from workflows.contract import LOAD_DEFINITION, LoadDefinitionInput


class Lookups:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    @activity.defn(name=LOAD_DEFINITION)
    async def load_definition(self, input: LoadDefinitionInput) -> dict[str, Any]:
        """The definition a ``sub_workflow`` step runs: the named version, or the active one."""
        return await asyncio.to_thread(self._load, input)

    def _load(self, input: LoadDefinitionInput) -> dict[str, Any]:
        with session_scope(self._engine) as session:
            workflow = get_workflow(session, input.tenant_id, input.workflow_id)
            if workflow is None:
                raise ApplicationError(
                    f"no workflow {input.workflow_id!r}", type="not_found", non_retryable=True
                )
            number = input.version or workflow.active_version
            if number is None:
                raise ApplicationError(
                    f"workflow {input.workflow_id!r} is {workflow.status}; name a version to run",
                    type="not_active",
                    non_retryable=True,
                )
            version = get_version(session, workflow.id, number)
            if version is None:
                raise ApplicationError(
                    f"workflow {input.workflow_id!r} has no version {number}",
                    type="not_found",
                    non_retryable=True,
                )
            return {
                "workflow_id": workflow.id,
                "name": workflow.name,
                "version": version.version,
                "definition": version.definition,
            }
