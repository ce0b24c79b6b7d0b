"""Every JSON block of the reference documents, committed as it is written
(``tests/fixtures/seed_examples/<document>_<name>_<n>.txt``), and what Relay makes of it: a
definition, a condition or an action's configuration either loads — every key understood or
presentation — or is refused with its paths; a body of the reference system's own API says
which Relay request or answer stands for it. None is accepted and ignored (issue 12).

The blocks of ``../shared/seeds`` beside the repository (when present) must all be here, so a new one is noticed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from api.schemas.workflows import ExecuteIn
from definitions.actions import scheduling_webhook_payload
from definitions.errors import DefinitionError
from definitions.loading import load_definition
from definitions.models import Definition

FIXTURES = Path(__file__).parent.parent / "fixtures" / "seed_examples"
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
STEP = {"id": "done", "type": "set", "values": {"done": True}}


def loads(document: dict[str, Any]) -> Definition:
    return load_definition(document)


def refused(document: Any) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionError) as caught:
        load_definition(document)
    return [(p.path, p.message) for p in caught.value.problems]


def as_trigger_filter(block: Any) -> None:
    """A CRM condition: the trigger's filter, with the document's event_type + conditions."""
    definition = loads({"name": "n", "event_type": "lead.created", "conditions": block,
                        "steps": [STEP]})  # fmt: skip
    assert definition.trigger.filter is not None


def as_action_conditions(block: Any) -> None:
    """The scheduling document's condition groups: the action's ``when``."""
    action = {"name": "Confirm", "action_type": "send_email", "recipient": "invitee",
              "subject": "s", "message": "m", "conditions": block}  # fmt: skip
    definition = loads({"name": "n", "trigger": "booking_created", "actions": [action]})
    assert definition.nodes[0].when is not None


def as_step(action: str) -> Callable[[Any], None]:
    """A CRM action's configuration: one step of that action, every key understood."""

    def check(block: Any) -> None:
        definition = loads({"name": "n", "event_type": "lead.created",
                            "steps": [{"id": "a", "type": action, **block}]})  # fmt: skip
        assert definition.nodes[0].config, definition

    return check


def erp_stored_workflow(block: Any) -> None:
    """The ERP document's stored workflow: its id, version and status are Relay's to keep
    (refused with the way to them); the rest loads."""
    assert [path for path, _ in refused(block)] == ["id", "version", "status"]
    workflow = loads({k: v for k, v in block.items() if k not in ("id", "version", "status")})
    assert workflow.trigger.type == "schedule"
    assert {n.type for n in workflow.nodes} >= {"query_records", "for_each", "send_email"}


def erp_elided_workflow(text: str) -> None:
    """The ERP document's workflow with its nodes elided (``[...]``): not JSON as written; with
    the blanks filled with no steps, the trigger it gives loads."""
    filled = json.loads(text.replace("[...]", "[]"))
    assert loads(filled).trigger.event == "customer.created"


def erp_execute_request(block: Any) -> None:
    """``POST /v1/workflows/{id}/execute`` takes it as it is (``input_data``)."""
    assert ExecuteIn.model_validate(block).input_data == {"customer_id": "cust_001"}


def scheduling_webhook_body(text: str) -> None:
    """The body the scheduling document's webhook action sends, with ``...webhook_data`` spread
    in (not JSON as written): Relay's ``scheduling_webhook`` preset sends it."""
    keys = set(re.findall(r'^\s*"(\w+)":', text, re.M))
    context = {"event": {"data": dict.fromkeys(keys)}, "workflow": {}, "run": {}}
    assert keys <= scheduling_webhook_payload(context, {"extra": 1}, "a").keys()
    assert "...webhook_data" in text


def answer(relay: str) -> Callable[[Any], None]:
    """A response of the reference system's API; Relay answers ``relay`` instead."""

    def check(block: Any) -> None:
        assert isinstance(block, dict) and relay

    return check


EXPECTED: dict[str, Callable[[Any], None]] = {
    "000_scheduling_00": as_action_conditions,
    "002_crm_00": as_trigger_filter,
    "002_crm_01": as_trigger_filter,
    "002_crm_02": as_trigger_filter,
    "002_crm_03": as_trigger_filter,
    "002_crm_04": as_trigger_filter,
    "002_crm_05": as_trigger_filter,
    "002_crm_06": as_step("send_email"),
    "002_crm_07": as_step("add_note"),
    "002_crm_08": as_step("update_field"),
    "002_crm_09": as_step("enqueue_export"),
    "002_crm_10": as_step("create_task"),
    "002_crm_11": as_step("send_notification"),
    "002_crm_12": as_step("call_webhook"),
    "003_erp_00": as_trigger_filter,
    "003_erp_01": erp_stored_workflow,
    "003_erp_02": answer("GET /v1/workflows (items, with each workflow's stats)"),
    "003_erp_04": erp_execute_request,
    "003_erp_05": answer("RunStarted: id, status, started_at"),
    "003_erp_06": answer("GET /v1/runs (items)"),
}
NOT_JSON: dict[str, Callable[[str], None]] = {
    "000_scheduling_01": scheduling_webhook_body,
    "003_erp_03": erp_elided_workflow,
}


def fixtures() -> list[Path]:
    return sorted(FIXTURES.glob("*.txt"))


def test_every_fixture_has_an_expectation_and_every_block_of_the_documents_is_a_fixture() -> None:
    assert {p.stem for p in fixtures()} == EXPECTED.keys() | NOT_JSON.keys()
    if not SEEDS.is_dir():
        return
    written = {p.read_text() for p in fixtures()}
    for seed in sorted(SEEDS.glob("*.txt")):
        for block in re.findall(r"```json\n(.*?)```", seed.read_text(), re.S):
            assert block in written, f"{seed.name}: a JSON block that is no fixture"


@pytest.mark.parametrize("path", fixtures(), ids=lambda p: p.stem)
def test_each_example_loads_or_is_refused_with_its_paths(path: Path) -> None:
    text = path.read_text()
    if path.stem in NOT_JSON:
        with pytest.raises(json.JSONDecodeError):
            json.loads(text)
        NOT_JSON[path.stem](text)
    else:
        EXPECTED[path.stem](json.loads(text))
