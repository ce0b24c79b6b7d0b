"""``sub_workflow``: run another workflow of the tenant (``workflow_id``, optionally a pinned
``version``) as a child run with ``input``, and go on with its result as the step's output."""

from __future__ import annotations

from typing import Any

from definitions.errors import Problem
from definitions.models import Edge, Node
from definitions.nodes.fields import INPUT, Absent, optional, param
from definitions.nodes.spec import Flow, Found, NodeType, is_int


def _shape(config: dict[str, Any], where: dict[str, str], problems: list[Problem]) -> list[Flow]:
    workflow_id = config.get("workflow_id")
    if isinstance(workflow_id, int) and not isinstance(workflow_id, bool):
        config["workflow_id"] = str(workflow_id)  # ids exported from a database
    return []


def _check(node: Node, config: str, leaving: list[Edge]) -> Found:
    found: Found = []
    workflow_id = node.config.get("workflow_id")
    if not (isinstance(workflow_id, str) and workflow_id.strip()):
        found.append((f"{config}.workflow_id", "sub_workflow needs the 'workflow_id' to run"))
    version = node.config.get("version")
    if version is not None and (not is_int(version) or version < 1):
        found.append((f"{config}.version", "a version is a whole number, at least 1"))
    if node.config.get("input") is not None and not isinstance(node.config["input"], dict):
        found.append((f"{config}.input", "input is an object of names and values"))
    return found


SUB_WORKFLOW = NodeType(
    "sub_workflow",
    "flow",
    keys=frozenset({"workflow_id", "version", "input"}),
    key_aliases={"workflow": "workflow_id", "definition_id": "workflow_id", "inputs": "input"},
    shape=_shape,
    checks=(_check,),
    leaving=frozenset({None, "error"}),
    schema={
        "workflow_id": param(str | Absent, optional("the workflow a sub_workflow runs")),
        "input": INPUT,
    },
)

TYPES = (SUB_WORKFLOW,)
