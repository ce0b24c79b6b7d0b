"""The one input object of each activity (STYLE 4): fields can be added without breaking
running histories, because the workflow and the activity both read them by name."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class StepRecord:
    """A step's state as the API shows it. ``step_key`` is unique within a run (the node id, plus
    the loop index once loops exist) and is the root of the step's idempotency key."""

    step_key: str
    node_id: str
    type: str
    status: str
    seq: int = 0
    attempts: int | None = None
    """None leaves the recorded count as it is (the workflow does not see attempts)."""
    started_at: datetime | None = None
    completed_at: datetime | None = None
    output: Any = None
    error: dict[str, Any] | None = None


@dataclass
class RunRef:
    tenant_id: str
    run_id: str
    workflow_id: str
    version: int
    started_at: datetime | None = None


@dataclass
class ActionInput:
    """One action step: its configuration already rendered (but for ``{{ secrets.X }}``)."""

    run: RunRef
    step: StepRecord
    config: dict[str, Any]
    max_attempts: int
    pending: list[StepRecord] = field(default_factory=list)
    """Non-action steps (skips, branches) recorded in the same transaction, to save a call."""
    finishes_run: bool = False
    """Nothing follows this step: its success completes the run in the same transaction."""

    @property
    def idempotency_key(self) -> str:
        return f"{self.run.run_id}:{self.step.step_key}"


@dataclass
class RecordStepsInput:
    run: RunRef
    steps: list[StepRecord]
    run_status: str | None = None
    """When set, the run's status becomes this (``waiting`` during a timer, ``running`` after)."""


@dataclass
class FinishRunInput:
    run: RunRef
    status: str
    started_at: datetime
    completed_at: datetime
    steps: list[StepRecord] = field(default_factory=list)
    error: dict[str, Any] | None = None


@dataclass
class OpenRunInput:
    """The row of a run no API call wrote before it started (a scheduled run): what started it
    (``trigger``: type, scheduled time) and when."""

    run: RunRef
    trigger: dict[str, Any]


@dataclass
class WatchInput:
    """Start (``active``) or stop routing events of ``event_types`` for ``entity`` to a run.

    ``"*"`` stands for every event type (goals and ``wait_condition`` re-check on any event).
    """

    run: RunRef
    entity: str
    event_types: list[str]
    active: bool = True


EVENT_SIGNAL = "relay.event"
"""The signal that delivers an event to a run watching for it; its argument is the event as
stored (``type``, ``id``, ``occurred_at``, ``entity``, ``data``, ``previous``)."""


@dataclass
class RunMarksInput:
    """Marks on the run's row that analytics group by; None leaves a mark as it is."""

    run: RunRef
    variant: str | None = None
    """The variant an A/B ``split`` took."""
    goal: str | None = None
    """The ``goal`` node the run reached."""


@dataclass
class LoadDefinitionInput:
    """The definition a ``sub_workflow`` step runs: a workflow of the same tenant, its active
    version unless one is named."""

    tenant_id: str
    workflow_id: str
    version: int | None = None
