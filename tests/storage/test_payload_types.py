"""Relay's payload converter decodes exactly what Temporal's default one does, only cheaper."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from temporalio.converter import DataConverter

from storage.payload_codec import data_converter
from workflows.contract import (
    ActionInput,
    FinishRunInput,
    Resume,
    ResumedWait,
    RunInput,
    RunRef,
    StepRecord,
)

NOW = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
REF = RunRef(tenant_id="t_1", run_id="run_1", workflow_id="wf_1", version=3, started_at=NOW)
STEP = StepRecord(
    step_key="send",
    node_id="send",
    type="http_request",
    status="completed",
    seq=2,
    attempts=1,
    started_at=NOW,
    completed_at=NOW,
    output={"status": 200, "json": {"ok": True, "items": [1, 2.5, None]}},
)
VALUES: list[Any] = [
    FinishRunInput(run=REF, status="completed", started_at=NOW, completed_at=NOW, steps=[STEP]),
    FinishRunInput(
        run=REF, status="failed", started_at=NOW, completed_at=NOW, error={"kind": "timeout"}
    ),
    ActionInput(
        run=REF,
        step=STEP,
        config={"url": "https://example.test/hook", "body": {"a": [1, {"b": "c"}]}},
        max_attempts=5,
        pending=[STEP, STEP],
        finishes_run=True,
    ),
    RunInput(
        tenant_id="t_1",
        workflow_id="wf_1",
        workflow_name="Welcome",
        version=1,
        definition={"trigger": {"type": "event", "event": "x"}, "steps": []},
        trigger={"type": "x", "id": "evt_1", "data": {"name": "Ann"}},
        tenant={"name": "Acme"},
    ),
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_decodes_as_temporals_default_converter(value: Any) -> None:
    payloads = DataConverter.default.payload_converter.to_payloads([value])
    ours = data_converter(None).payload_converter.from_payloads(payloads, [type(value)])
    theirs = DataConverter.default.payload_converter.from_payloads(payloads, [type(value)])
    assert ours == theirs == [value]
    assert isinstance(ours[0], type(value))


@pytest.mark.parametrize("value", VALUES, ids=lambda v: type(v).__name__)
def test_encodes_the_same_bytes_as_temporals_default_converter(value: Any) -> None:
    ours = data_converter(None).payload_converter.to_payloads([value])
    theirs = DataConverter.default.payload_converter.to_payloads([value])
    assert ours == theirs


def test_a_resume_inside_a_run_input_is_a_dataclass_again() -> None:
    run = RunInput(
        tenant_id="t_1",
        workflow_id="wf_1",
        workflow_name="W",
        version=1,
        definition={},
        trigger={},
        resume=Resume(
            node_id="pause",
            steps={"a": {"status": "completed"}},
            vars={"n": 1},
            seq=4,
            wait=ResumedWait(node_id="pause", started_at=NOW, until=NOW),
        ),
    )
    payloads = DataConverter.default.payload_converter.to_payloads([run])
    (decoded,) = data_converter(None).payload_converter.from_payloads(payloads, [RunInput])
    assert isinstance(decoded.resume, Resume)
    assert isinstance(decoded.resume.wait, ResumedWait)
    assert decoded == run


@dataclass
class _Cat:
    meows: int


@dataclass
class _Dog:
    barks: str


def test_a_union_tries_its_next_member_as_the_sdk_does() -> None:
    payloads = DataConverter.default.payload_converter.to_payloads([{"barks": "loud"}])
    (decoded,) = data_converter(None).payload_converter.from_payloads(
        payloads,
        [_Cat | _Dog],  # type: ignore[list-item]
    )
    assert decoded == _Dog(barks="loud")


def test_a_missing_required_field_is_refused() -> None:
    payloads = DataConverter.default.payload_converter.to_payloads([{"run": {}}])
    with pytest.raises((TypeError, RuntimeError)):
        data_converter(None).payload_converter.from_payloads(payloads, [FinishRunInput])
