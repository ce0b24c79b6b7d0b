"""What the interpreter workflow takes and returns (STYLE 4: one input object).

Kept out of the workflow module and passed through the sandbox: a dataclass is built with
``exec``, and re-creating these for every run inside the sandbox costs more than the run's own
logic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class RunInput:
    tenant_id: str
    workflow_id: str
    workflow_name: str
    version: int
    definition: dict[str, Any]
    """The canonical definition of ``version``, pinned for the whole run."""
    trigger: dict[str, Any]
    """The event that started the run: type, id, occurred_at, entity, data, previous."""
    resume: Resume | None = None
    """Set when the run continued-as-new: one logical run, many Temporal executions."""


@dataclass
class RunResult:
    status: str
    error: dict[str, Any] | None = None
    path: list[str] = field(default_factory=list)
    vars: dict[str, Any] = field(default_factory=dict)


@dataclass
class RunEnd:
    """A node's verdict that the run is over, with the status it ends in."""

    status: str
    error: dict[str, Any] | None = None


@dataclass
class Resume:
    """Where a run continued-as-new picks up, with everything it had accumulated."""

    node_id: str | None
    steps: dict[str, Any]
    vars: dict[str, Any]
    seq: int
    entity_data: dict[str, Any] = field(default_factory=dict)
    seen_events: list[str] = field(default_factory=list)
    loop_index: int = 0
    """For a top-level ``for_each`` at ``node_id``: the first item not yet done."""
    loop_items: list[Any] | None = None
    variant: str | None = None
    visits: dict[str, int] = field(default_factory=dict)
    """Step key → visits so far, so a cycle's later passes keep distinct keys."""
