"""A run's step bookkeeping: step keys, the queue of steps not yet written, and writing them.

Steps that need no activity (branches, skips, ``set``) are queued and go to the database with
the next call the run makes anyway — an action carries them in its input, a wait flushes them —
so they cost no round trip of their own. Everything here reaches the database through local
activities (``activities.bookkeeping``) or through the action activities themselves.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from temporalio import workflow

from definitions.context import RESERVED
from definitions.models import Node
from workflows.contract import RECORD_STEPS, RecordStepsInput, RunRef, StepRecord
from workflows.policies import RECORD_STEPS_BATCH, RECORDING_RETRY, RECORDING_TIMEOUT

if TYPE_CHECKING:
    from workflows.nodes.base import Scope


class StepLog:
    def __init__(self, ref: RunRef) -> None:
        self.ref = ref
        self.seq = 0
        """The order of the run's steps, across continue-as-new."""
        self.visits: dict[str, int] = {}
        """Step key → visits so far (a cycle's later passes get ``#2``, ``#3``…)."""
        self.pending: list[StepRecord] = []
        """Steps queued for the next database call."""
        self.closed = False
        """The last action recorded the run's completion itself (``ActionInput.finishes_run``)."""

    def step(self, node: Node, scope: Scope, status: str) -> StepRecord:
        """A new visit of ``node``. Its key — the root of its idempotency key — is unique in the
        run: a loop iteration adds ``[i]``, a second pass through a cycle adds ``#2``, so a
        weekly reminder is sent every week, not once."""
        self.seq += 1
        key = node.id + scope.suffix
        visits = self.visits[key] = self.visits.get(key, 0) + 1
        if visits > 1:
            key += f"#{visits}"
        return StepRecord(key, node.id, node.type, status, self.seq, started_at=workflow.now())

    def record(self, node: Node, scope: Scope, status: str, output: Any = None) -> None:
        """Queue a step that needs no activity; it is written with the next database call."""
        step = self.step(node, scope, status)
        step.completed_at, step.output = step.started_at, output
        self.pending.append(step)

    def done(self, node: Node, scope: Scope, output: Any) -> None:
        """A step that needed no activity completed: queued for recording, and its output kept."""
        self.record(node, scope, "completed", output)
        self.store(node, scope, output)

    def completed(self, node: Node, scope: Scope, step: StepRecord, output: Any) -> None:
        """A step the workflow recorded running (an ``activity`` call, a child run) completed:
        queued for recording, and its output kept."""
        step.status, step.completed_at, step.output = "completed", workflow.now(), output
        self.pending.append(step)
        self.store(node, scope, output)

    @staticmethod
    def store(node: Node, scope: Scope, output: Any) -> None:
        """``steps.<id>.output``, and the step's ``output`` variable when it names one."""
        scope.context["steps"][node.id] = {"status": "completed", "output": output}
        if node.output:
            scope.context["vars"][node.output] = output
            expose(scope.context, {node.output: output})

    def take_pending(self) -> list[StepRecord]:
        pending, self.pending = self.pending, []
        return pending

    async def flush(self, step: StepRecord, run_status: str | None = None) -> None:
        """Write the queue and ``step`` now; ``run_status`` sets the run's status with them."""
        await local_activity(
            RECORD_STEPS, RecordStepsInput(self.ref, [*self.take_pending(), step], run_status)
        )

    async def cancelled(self, step: StepRecord) -> None:
        step.status, step.completed_at = "cancelled", workflow.now()
        # Shielded: the walk is being cancelled, but the record of it must still be written.
        await asyncio.shield(asyncio.ensure_future(self.flush(step)))

    async def write_pending(self) -> None:
        if self.pending:
            await local_activity(RECORD_STEPS, RecordStepsInput(self.ref, self.take_pending()))

    async def checkpoint(self) -> None:
        """Between a loop's iterations: write the queued steps once a batch has built up."""
        if len(self.pending) < RECORD_STEPS_BATCH:
            return
        await self.write_pending()
        # A local activity's marker only counts in the history length the workflow sees once a
        # new workflow task begins, and a loop of steps without activities never starts one:
        # this timer does, so the continue-as-new check sees the history such a loop builds.
        await workflow.sleep(timedelta(milliseconds=1))


async def local_activity(name: str, arg: Any) -> None:
    """One of the run's bookkeeping calls (``workflows.contract``), as a local activity: no
    round trip through the server, retried until the database takes it."""
    await workflow.execute_local_activity(
        name, arg, start_to_close_timeout=RECORDING_TIMEOUT, retry_policy=RECORDING_RETRY
    )


def expose(context: dict[str, Any], values: dict[str, Any]) -> None:
    """Variables at the top level too (``{{ invoices }}`` after an ``output: invoices``), unless
    the name is one the engine owns."""
    context.update({k: v for k, v in values.items() if k not in RESERVED})
