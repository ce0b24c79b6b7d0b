"""Relay's custom search attributes, so the Temporal UI can find runs by tenant, workflow and
entity (e.g. ``RelayTenant = "acme" AND RelayEntity = "booking-42"``)."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

TENANT = SearchAttributeKey.for_keyword("RelayTenant")
WORKFLOW = SearchAttributeKey.for_keyword("RelayWorkflowId")
VERSION = SearchAttributeKey.for_int("RelayVersion")
ENTITY = SearchAttributeKey.for_keyword("RelayEntity")

ALL = (TENANT, WORKFLOW, VERSION, ENTITY)


def run_attributes(
    tenant_id: str, workflow_id: str, version: int | None = None, entity: str | None = None
) -> TypedSearchAttributes:
    """The search attributes the Temporal UI finds a run by — and a workflow's Schedule, which
    carries no version or entity."""
    pairs: list[SearchAttributePair] = [
        SearchAttributePair(TENANT, tenant_id),
        SearchAttributePair(WORKFLOW, workflow_id),
    ]
    if version is not None:
        pairs.append(SearchAttributePair(VERSION, version))
    if entity:
        pairs.append(SearchAttributePair(ENTITY, entity))
    return TypedSearchAttributes(pairs)


def dev_server_flags() -> list[str]:
    """``--search-attribute`` flags for ``temporal server start-dev``."""
    kinds = [(TENANT.name, "Keyword"), (WORKFLOW.name, "Keyword"), (VERSION.name, "Int"),
             (ENTITY.name, "Keyword")]  # fmt: skip
    return [f"--search-attribute={name}={kind}" for name, kind in kinds]
