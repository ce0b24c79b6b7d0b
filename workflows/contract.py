"""The contract between the interpreter workflow and everything it talks to.

Both sides import this module: the workflows (``RelayRun``, the simulation driver) call
activities and children by these names with these inputs; the activities (``activities.*``) and
the API register and start them under the same names. Every name and every field here is
written into workflow histories, so they are byte-stable: a field may be added (with a
default), never renamed or removed, or running workflows stop replaying.

One input object per workflow, activity and signal, named for what it carries. The action
activities are named as their node types (``definitions.nodes.ACTION_TYPES``) and all take an
``ActionInput``. The search attributes a run carries are set by whoever starts it
(``workflows.search_attributes``); the interpreter sets none.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from temporalio.exceptions import ApplicationError

# --- names ------------------------------------------------------------------------------------

RUN_WORKFLOW = "RelayRun"
"""The interpreter: one execution per run (and per continue-as-new of a long one)."""
SIMULATION_WORKFLOW = "relay.Simulation"
"""The simulation driver: one ``RelayRun`` as a child, fed scripted events."""

EVENT_SIGNAL = "relay.event"
"""The signal that delivers an event to a run watching for it; its argument is the event as
stored (``type``, ``id``, ``occurred_at``, ``entity``, ``data``, ``previous``)."""

MIGRATE_SIGNAL = "relay.migrate"
"""The signal that moves a run to another version of its workflow at its next safe point
(``definitions.migration``); its argument is a ``MigrateRequest``."""

# The interpreter's own bookkeeping, run as local activities (``activities.bookkeeping``).
RECORD_STEPS = "relay.record_steps"
RECORD_MIGRATION = "relay.record_migration"
FINISH_RUN = "relay.finish_run"
OPEN_RUN = "relay.open_run"
WATCH = "relay.watch"
RECORD_RUN_MARKS = "relay.record_run_marks"
# Reads and simulation control (``activities.lookups``, ``activities.simulated``).
LOAD_DEFINITION = "relay.load_definition"
SIMULATION_HORIZON = "relay.simulation_horizon"


def permanent(message: str, kind: str) -> ApplicationError:
    """A failure retrying cannot fix (bad configuration, a refused recipient, an instant that
    is no date), of type ``kind``: activities raise it, the interpreter records it as the
    step's error (``workflows.errors.error_of``) in the same shape."""
    return ApplicationError(message, type=kind, non_retryable=True)


# --- the run ----------------------------------------------------------------------------------


@dataclass
class RunInput:
    """The input of ``RelayRun``."""

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
    tenant: dict[str, Any] | None = None
    """The tenant's profile (``name``) as the run started: ``{{ tenant.name }}`` in templates
    (``definitions.context``). None in runs recorded before profiles."""
    patches: list[str] | None = None
    """The code changes (``workflow.patched`` ids) the run has from its start: a new run's are
    ``workflows.policies.PATCHES``. None in runs recorded before the list, which ask Temporal
    for each (``Run.patched``)."""


@dataclass
class RunResult:
    status: str
    error: dict[str, Any] | None = None
    path: list[str] = field(default_factory=list)
    vars: dict[str, Any] = field(default_factory=dict)


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
    wait: ResumedWait | None = None
    """Set when the run moved to another version from a wait: the wait at ``node_id`` goes on."""
    migrated_from: int | None = None
    """The version the run moved from, when this execution is the first on the new one."""


@dataclass
class ResumedWait:
    """A wait that a run moved to another version carries on with: begun at ``started_at``,
    ending at ``until`` (its remaining time kept) — or, when None, as the new version's wait
    configuration says, counted from ``started_at``."""

    node_id: str
    started_at: datetime
    until: datetime | None = None


@dataclass
class MigrateRequest:
    """Move the run to ``to_version`` (its canonical ``definition``), the run's nodes mapped
    by ``map`` (old id → new id) where they are not the same id (``POST …/migrations``)."""

    migration_id: str
    to_version: int
    definition: dict[str, Any]
    map: dict[str, str] = field(default_factory=dict)


# --- the activities ---------------------------------------------------------------------------


@dataclass
class StepRecord:
    """A step's state as the API shows it. ``step_key`` is unique within a run (the node id, plus
    the loop index and the pass through a cycle) and is the root of the step's idempotency key."""

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
    watched: bool = True
    """The run may have watches to drop when it completes (``Run.watched``)."""

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
    watched: bool = True
    """The run may have watches to drop (``Run.watched``); a run that never watched saves
    the statement."""


@dataclass
class MigrationOutcomeInput:
    """What became of a run a migration asked to move: ``moved`` from ``node_id`` to ``target``
    (the run's row then on ``to_version``), or not (``cannot_move``, with ``reason``), recorded
    with the steps queued (the wait it left, when it continues at another node)."""

    run: RunRef
    migration_id: str
    to_version: int
    status: str
    at: datetime
    plan: dict[str, Any] = field(default_factory=dict)
    """``definitions.migration.Move.as_dict()``: node_id, target, wait, after, reason, detail."""
    steps: list[StepRecord] = field(default_factory=list)


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


# --- the simulation driver --------------------------------------------------------------------


@dataclass
class ScriptedEvent:
    """An event delivered to the run during the simulation: ``after_seconds`` after the run
    started, or at the instant ``at`` (ISO 8601); one of the two is set."""

    event: dict[str, Any]
    """``type``, ``id``, ``entity``, ``data``, ``previous`` — as ``POST /v1/events`` signals it."""
    after_seconds: float | None = None
    at: str | None = None


@dataclass
class SimulationInput:
    """The input of the simulation driver."""

    run: RunInput
    run_id: str
    events: list[ScriptedEvent] = field(default_factory=list)
    horizon_seconds: float = 366 * 86400
    """How much simulated time the run gets; one still waiting then is reported ``waiting``."""


@dataclass
class DeliveredEvent:
    id: str
    type: str
    at: datetime


@dataclass
class SimulationEnd:
    started_at: datetime
    ended_at: datetime
    result: RunResult | None
    """None when the run was still waiting at the horizon (it is then terminated)."""
    delivered: list[DeliveredEvent] = field(default_factory=list)
    error: dict[str, Any] | None = None
    """Set when the run itself failed (not a step: the interpreter refused the definition)."""
