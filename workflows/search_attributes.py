"""Relay's custom search attributes, so the Temporal UI can find runs by tenant, workflow and
entity (e.g. ``RelayTenant = "acme" AND RelayEntity = "booking-42"``).

Search attributes are indexed in clear by Temporal — the payload codec cannot seal them — and an
entity is often a person (an email address, a phone number). So when Relay has an entity key
(``RELAY_ENTITY_KEY``, or one derived from the codec's key), ``RelayEntity`` holds a keyed hash
of (tenant, entity) instead: still exact-match searchable — ``relay runs entity-token`` prints
the value to search for — but no longer readable, nor guessable without the key (a plain hash
of an email address is reversed by hashing candidate addresses).
"""

from __future__ import annotations

import hashlib
import hmac

from temporalio.common import SearchAttributeKey, SearchAttributePair, TypedSearchAttributes

TENANT = SearchAttributeKey.for_keyword("RelayTenant")
WORKFLOW = SearchAttributeKey.for_keyword("RelayWorkflowId")
VERSION = SearchAttributeKey.for_int("RelayVersion")
ENTITY = SearchAttributeKey.for_keyword("RelayEntity")

ALL = (TENANT, WORKFLOW, VERSION, ENTITY)


def entity_token(key: bytes, tenant_id: str, entity: str) -> str:
    """What ``RelayEntity`` holds for ``entity`` of ``tenant_id`` under ``key``."""
    digest = hmac.new(key, f"{tenant_id}\n{entity}".encode(), hashlib.sha256).hexdigest()
    return "h:" + digest[:32]


def run_attributes(
    tenant_id: str,
    workflow_id: str,
    version: int | None = None,
    entity: str | None = None,
    entity_key: bytes | None = None,
) -> TypedSearchAttributes:
    """The search attributes the Temporal UI finds a run by — and a workflow's Schedule, which
    carries no version or entity. With ``entity_key``, the entity is a keyed hash."""
    pairs: list[SearchAttributePair] = [
        SearchAttributePair(TENANT, tenant_id),
        SearchAttributePair(WORKFLOW, workflow_id),
    ]
    if version is not None:
        pairs.append(SearchAttributePair(VERSION, version))
    if entity:
        value = entity_token(entity_key, tenant_id, entity) if entity_key else entity
        pairs.append(SearchAttributePair(ENTITY, value))
    return TypedSearchAttributes(pairs)


def dev_server_flags() -> list[str]:
    """``--search-attribute`` flags for ``temporal server start-dev``."""
    kinds = [(TENANT.name, "Keyword"), (WORKFLOW.name, "Keyword"), (VERSION.name, "Int"),
             (ENTITY.name, "Keyword")]  # fmt: skip
    return [f"--search-attribute={name}={kind}" for name, kind in kinds]
