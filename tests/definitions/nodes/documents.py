"""Small documents and readers the node-family tests share."""

from typing import Any

import pytest

from definitions.errors import DefinitionError
from definitions.loading import load_definition
from definitions.normalise import normalise_definition

EMAIL = {"type": "send_email", "to": "{{ lead.email }}", "subject": "Hi", "body": "Hello"}
LEAF = {"field": "lead.tier", "operator": "eq", "value": "gold"}
LEAF_TREE = {**LEAF, "ignore_case": False}
PAID = {"field": "amount", "operator": "gt", "value": 0}


def email(node_id: str) -> dict[str, Any]:
    return {"id": node_id, **EMAIL}


def steps(*items: dict[str, Any]) -> dict[str, Any]:
    return {"name": "n", "trigger": {"event": "lead.created"}, "steps": list(items)}


def graph(nodes: list[dict[str, Any]], edges: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": "n", "trigger": {"event": "lead.created"}, "nodes": nodes, "edges": edges}


def canonical(document: dict[str, Any]) -> dict[str, Any]:
    return normalise_definition(document).definition.canonical()


def edges(document: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    return [(e["from"], e["to"], e.get("when")) for e in canonical(document)["edges"]]


def config(document: dict[str, Any], node_id: str) -> dict[str, Any]:
    return next(n for n in canonical(document)["nodes"] if n["id"] == node_id)["config"]


def problems(document: Any) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as caught:
        load_definition(document)
    return [(p.path, p.message) for p in caught.value.problems]


def loads(document: dict[str, Any]) -> bool:
    load_definition(document)
    return True
