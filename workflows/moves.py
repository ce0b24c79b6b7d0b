"""A run moving to another version of its workflow (``MIGRATE_SIGNAL``), at a safe point.

The signal only asks. The run decides at its next safe point — waiting at a top-level wait, or
between two top-level steps — with the same pure plan the API's dry run shows
(``definitions.migration.plan_move``). Movable, it records the move and continues-as-new onto
the new version with everything it had (variables, step outcomes and keys, visits), so no step
already done runs again and no effect repeats: the wait it was in goes on in the new version
under the same step key. Refused, the refusal is recorded and the run stays on its version.

Histories recorded before migrations never hold the signal, so they replay unchanged.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from temporalio import workflow

from definitions.migration import Move, Position, plan_move
from definitions.models import Definition
from workflows.contract import (
    RECORD_MIGRATION,
    MigrateRequest,
    MigrationOutcomeInput,
    ResumedWait,
    StepRecord,
)
from workflows.nodes.base import ContinueAsNew
from workflows.steps import local_activity

if TYPE_CHECKING:
    from workflows.nodes.base import Run

SUPERSEDED = Move(
    None, reason="superseded", detail="another migration asked the run to move before it did"
)
ENDED_FIRST = Move(
    None, reason="ended", detail="the run ended before it reached a point it could move at"
)


class Migrate(ContinueAsNew):
    """Unwinds the run to continue-as-new on ``request.to_version`` (``Resume`` at the target)."""

    def __init__(self, run: Run, request: MigrateRequest, move: Move, step: StepRecord | None):
        self.request, self.move = request, move
        visits = dict(run.log.visits)
        wait = None
        if step is not None:
            if move.target == step.node_id:
                # The same node goes on waiting: its next visit takes the same step key, so the
                # step's row keeps waiting rather than a second one appearing.
                visits[step.node_id] = max(visits.get(step.node_id, 1) - 1, 0)
            else:
                step.status, step.completed_at = "cancelled", workflow.now()
                step.output = {**(step.output or {}), "moved_to": move.target,
                               "version": request.to_version}  # fmt: skip
                run.log.pending.append(step)
            started = step.started_at or workflow.now()
            until = _until(step, run) if move.wait == "kept" else None
            if move.wait is not None:
                wait = ResumedWait(str(move.target), started, until)
        resume = run.snapshot(str(move.target))
        resume.visits, resume.wait, resume.migrated_from = visits, wait, run.ref.version
        super().__init__(resume)


class Mover:
    def __init__(self) -> None:
        self.request: MigrateRequest | None = None
        """The migration asked for and not yet decided."""
        self.move: tuple[str, Move] | None = None
        """The move decided for the wait the run is in (its step key), once one is."""
        self.waiting: StepRecord | None = None
        """The top-level wait the run is in, while it is."""
        self.leaving = False
        """The run is moving (continuing-as-new): later requests are for the new execution."""

    async def ask(self, run: Run, request: MigrateRequest) -> None:
        """A migration asks the run to move; one asked for before and not carried out yet
        gives way to it (and says so)."""
        if request.to_version == run.ref.version or self.leaving:
            return
        if self.request is not None and self.request.migration_id != request.migration_id:
            await self._refused(run, SUPERSEDED)
        self.request, self.move = request, None

    async def consider(self, run: Run) -> None:
        """At a top-level wait (``waiting``): decide now. A refusal is recorded at once."""
        step, request = self.waiting, self.request
        if step is None or request is None or self.move is not None:
            return
        move = self._plan(run, Position(step.node_id, "waiting"))
        if move.movable:
            self.move = (step.step_key, move)
        else:
            await self._refused(run, move)

    def due(self, step: StepRecord) -> bool:
        """Whether the wait of ``step`` should end now, for the run to move."""
        return self.move is not None and self.move[0] == step.step_key

    def leave(self, run: Run, step: StepRecord) -> Migrate:
        assert self.request is not None and self.move is not None
        self.leaving = True
        return Migrate(run, self.request, self.move[1], step)

    async def between(self, run: Run, node_id: str) -> None:
        """Between two top-level steps, about to start ``node_id``: move now, or refuse."""
        if self.request is None:
            return
        move = self._plan(run, Position(node_id, "between"))
        if not move.movable:
            await self._refused(run, move)
            return
        self.leaving = True
        raise Migrate(run, self.request, move, None)

    async def moved(self, run: Run, request: Migrate) -> None:
        """Record the move (and the steps queued) before continuing-as-new."""
        await _record(run, request.request, "moved", request.move.as_dict(), run.log.take_pending())

    async def ended(self, run: Run) -> None:
        """The run ends with a move still asked for: it did not move."""
        if self.request is not None:
            await self._refused(run, ENDED_FIRST)

    def _plan(self, run: Run, position: Position) -> Move:
        assert self.request is not None
        new = Definition.model_validate(self.request.definition)
        return plan_move(run.definition, new, position, self.request.map)

    async def _refused(self, run: Run, move: Move) -> None:
        request, self.request, self.move = self.request, None, None
        if request is not None:
            await _record(run, request, "cannot_move", move.as_dict(), [])


async def _record(
    run: Run, request: MigrateRequest, status: str, plan: dict[str, object],
    steps: list[StepRecord],
) -> None:  # fmt: skip
    outcome = MigrationOutcomeInput(
        run.ref, request.migration_id, request.to_version, status, workflow.now(), plan, steps
    )
    await local_activity(RECORD_MIGRATION, outcome)


def _until(step: StepRecord, run: Run) -> datetime | None:
    """When the wait of ``step`` was to end: a ``wait``'s instant, a timeout's deadline."""
    output = step.output or {}
    if isinstance(output.get("until"), str):
        return datetime.fromisoformat(output["until"])
    node = run.graph.nodes.get(step.node_id)
    timeout = node.config.get("timeout") if node is not None else None
    if timeout in (None, "") or step.started_at is None:
        return None
    return step.started_at + timedelta(seconds=float(timeout))
