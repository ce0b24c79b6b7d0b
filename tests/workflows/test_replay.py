"""Committed histories replay against today's interpreter: a change that would break running
workflows (non-determinism) fails here before it reaches users."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from tests.workflows.history_cases import CASES
from worker.composition import PASSTHROUGH
from workflows.interpreter import RelayRun

HISTORIES = Path(__file__).parent / "histories"


def test_every_case_has_a_committed_history() -> None:
    assert sorted(p.stem for p in HISTORIES.glob("*.json")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
async def test_history_replays_without_nondeterminism(name: str) -> None:
    history = WorkflowHistory.from_json(f"replay-{name}", (HISTORIES / f"{name}.json").read_text())
    replayer = Replayer(
        workflows=[RelayRun],
        workflow_runner=SandboxedWorkflowRunner(
            restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH)
        ),
    )
    await replayer.replay_workflow(history)
