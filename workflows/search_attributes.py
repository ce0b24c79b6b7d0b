"""Relay's custom search attributes, so the Temporal UI can find runs by tenant, workflow and
entity (e.g. ``RelayTenant = "acme" AND RelayEntity = "booking-42"``)."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

TENANT = SearchAttributeKey.for_keyword("RelayTenant")
WORKFLOW = SearchAttributeKey.for_keyword("RelayWorkflowId")
VERSION = SearchAttributeKey.for_int("RelayVersion")
ENTITY = SearchAttributeKey.for_keyword("RelayEntity")

ALL = (TENANT, WORKFLOW, VERSION, ENTITY)


def dev_server_flags() -> list[str]:
    """``--search-attribute`` flags for ``temporal server start-dev``."""
    kinds = [(TENANT.name, "Keyword"), (WORKFLOW.name, "Keyword"), (VERSION.name, "Int"),
             (ENTITY.name, "Keyword")]  # fmt: skip
    return [f"--search-attribute={name}={kind}" for name, kind in kinds]
