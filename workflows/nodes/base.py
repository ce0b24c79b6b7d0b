"""What node handlers share: the run they are part of (``Run``), where they run (``Scope``),
what they answer (``Outcome``), and the helpers every family uses.

A handler is ``async def handler(run: Run, node: Node, scope: Scope) -> Outcome``, looked up by
node type in ``workflows.nodes.HANDLERS``. ``Run`` is the interpreter's state as handlers may
see it; ``workflows.interpreter.RelayRun`` is the one implementation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from temporalio import workflow

from definitions.conditions import evaluate_condition
from definitions.models import Definition, Node
from workflows.contract import Resume, ResumedWait, RunRef, StepRecord
from workflows.graph import Graph
from workflows.policies import CONTINUE_AS_NEW_AFTER_EVENTS
from workflows.steps import StepLog

if TYPE_CHECKING:
    from workflows.moves import Mover
    from workflows.nodes.goals import Goals


@dataclass
class RunEnd:
    """A node's verdict that the run is over, with the status it ends in."""

    status: str
    error: dict[str, Any] | None = None


@dataclass(frozen=True)
class Jump:
    """Go to this node whatever the edges say (an ``on_error`` naming the error branch). Kept
    apart from labels, which may spell a node's id too (a switch case named like a node)."""

    node_id: str


Outcome = str | None | RunEnd | Jump
"""What a node returns: the label of the edge to follow, or a node to jump to, or the end."""


@dataclass
class Scope:
    """Where a walk runs: its variables, its step-key suffix, and whether it is the top level
    (the only place a run may continue-as-new)."""

    context: dict[str, Any]
    suffix: str = ""
    top: bool = True


class GoalReached(Exception):
    """Unwinds every walk in progress when a goal's condition starts to hold."""


class ContinueAsNew(Exception):
    def __init__(self, resume: Resume) -> None:
        self.resume = resume


class Run(Protocol):
    """The run a handler is part of: its definition and graph, its variables (``context``, the
    top level's), its steps (``log``), the entity's events and what the walk has done."""

    ref: RunRef
    definition: Definition
    graph: Graph
    entity: str | None
    """The record the run is about; its events reach the run (``inbox``)."""
    tenant: dict[str, Any] | None
    """The tenant's profile the run started with (``RunInput.tenant``)."""
    context: dict[str, Any]
    log: StepLog
    path: list[str]
    inbox: list[dict[str, Any]]
    """Every event signalled to the run, in order."""
    entity_data: dict[str, Any]
    """The entity's latest state: every event's data, merged in order."""
    goals: Goals
    variant: str | None
    """The variant the run's first ``split`` took."""
    resume_loop: Resume | None
    """Set when the run continued-as-new inside a top-level ``for_each``."""
    resume_wait: ResumedWait | None
    """Set when the run moved to this version from a wait that goes on here."""
    moves: Mover
    """A move to another version asked for (``workflows.moves``)."""
    watched: bool
    """The run may have watches in the database: it asked for one (``nodes.waits.watch``), or
    an earlier execution of it (before continue-as-new) may have. False saves the run's end
    a statement dropping watches it never had.

    It follows the workflow's path, not the database: a watch written by an attempt whose
    workflow task was then lost (its worker died) stays if the retried task takes another
    path (an event arrived meanwhile, a reset). Such a watch routes nothing to the closed
    run: the next matching event finds it closed and drops its watches (``runs.signals``),
    as retention does."""

    async def walk(self, entry: str | None, scope: Scope) -> RunEnd | None:
        """Run nodes from ``entry`` until the chain ends (None) or the run does (RunEnd)."""
        ...

    def patched(self, patch_id: str) -> bool:
        """Whether the code change ``patch_id`` applies to this run: it started with it
        (``RunInput.patches``), or Temporal says so (``workflow.patched``)."""
        ...

    def snapshot(self, node_id: str, index: int = 0, items: list[Any] | None = None) -> Resume:
        """What the next execution needs to carry on at ``node_id`` after continue-as-new."""
        ...


Handler = Callable[[Run, Node, Scope], Awaitable[Outcome]]


def holds(run: Run, condition: Any, scope: Scope) -> bool:
    """Whether ``condition`` holds in ``scope`` (with the run's ``today``)."""
    return evaluate_condition(condition, scope.context, today=run.context["today"])


def concerns(run: Run, event: dict[str, Any]) -> bool:
    """Whether an event is about this run's entity. Events reach a run through its watches,
    which are per entity, but a signal may come from anywhere (a client, a misrouted
    redelivery): another record's state must never satisfy this run's waits or goals."""
    entity = event.get("entity")
    return run.entity is None or entity is None or entity == run.entity


async def failed(
    run: Run, node: Node, scope: Scope, step: StepRecord, error: dict[str, Any]
) -> Outcome:
    """``step`` failed with ``error``: recorded at once, then where the node's ``on_error`` (or
    the definition's) sends the run — its ``error`` edge, the end, the next node, another node."""
    step.status, step.error, step.completed_at = "failed", error, workflow.now()
    scope.context["steps"][node.id] = {"status": "failed", "output": None, "error": error}
    # Recorded at once: the activity could not record its own failure (it may have timed out).
    await run.log.flush(step)
    policy = node.on_error or run.definition.settings.on_error
    if run.graph.successor(node.id, "error") is not None:
        return "error"
    if policy == "stop":
        return RunEnd("failed", {"node_id": node.id, **error})
    if policy == "continue":
        return None
    return Jump(policy)  # an error-branch node id


def history_is_long() -> bool:
    """Whether the run should continue-as-new at the next place it may."""
    info = workflow.info()
    return (
        info.is_continue_as_new_suggested()
        or info.get_current_history_length() > CONTINUE_AS_NEW_AFTER_EVENTS
    )


def seconds(value: Any) -> timedelta | None:
    return None if value in (None, "") else timedelta(seconds=float(value))
