"""Committed histories replay against today's interpreter: a change that would break running
workflows (non-determinism) fails here before it reaches users."""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from storage.payload_codec import EncryptionCodec, data_converter
from tests.workflows.history_cases import CASES, REPLAY_CODEC_KEY
from workflows.interpreter import RelayRun
from workflows.simulation import RelaySimulation

HISTORIES = Path(__file__).parent / "histories"


def test_every_case_has_a_committed_history() -> None:
    assert sorted(p.stem for p in HISTORIES.glob("*.json")) == sorted(CASES)


def test_the_workflows_run_unsandboxed_so_the_replayer_runs_them_as_workers_do() -> None:
    # The worker and the replayer pass no sandbox configuration: it would apply to neither.
    for workflow_class in (RelayRun, RelaySimulation):
        assert getattr(workflow_class, "__temporal_workflow_definition").sandboxed is False


@pytest.mark.parametrize("name", sorted(CASES))
async def test_history_replays_without_nondeterminism(name: str) -> None:
    history = WorkflowHistory.from_json(f"replay-{name}", (HISTORIES / f"{name}.json").read_text())
    codec = EncryptionCodec(REPLAY_CODEC_KEY) if CASES[name].sealed else None
    await Replayer(workflows=[RelayRun], data_converter=data_converter(codec)).replay_workflow(
        history
    )


def test_a_sealed_history_holds_no_event_data_in_clear() -> None:
    sealed = [name for name, case in CASES.items() if case.sealed]
    assert sealed, "at least one history is recorded through the codec"
    for name in sealed:
        text = (HISTORIES / f"{name}.json").read_text()
        assert "binary/encrypted" in text or "YmluYXJ5L2VuY3J5cHRlZA" in text
        for value in CASES[name].data.values():
            assert value not in text, (name, value)
