"""Planning a run's move to another version: where it continues, or why it cannot."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from definitions.loading import load_definition
from definitions.migration import (
    MID_ACTION,
    NODE_REMOVED,
    NOT_IN_FLOW,
    NOTHING_AFTER,
    SHAPE_CHANGED,
    TARGET_ENCLOSED,
    TYPE_CHANGED,
    Position,
    enclosing,
    plan_move,
)
from definitions.models import Definition


def email(node_id: str, subject: str = "Hi") -> dict[str, Any]:
    return {"id": node_id, "type": "send_email", "to": "{{ email }}", "subject": subject,
            "body": "..."}  # fmt: skip


DRIP = {
    "name": "Drip",
    "trigger": {"event": "user.signed_up"},
    "steps": [
        email("email_1"),
        {"id": "wait_1", "type": "wait", "duration": "2d"},
        email("email_2", "Tpis"),
        {"id": "wait_2", "type": "wait", "duration": "3d"},
        email("email_3"),
    ],
}


def drip(edit: Any = None) -> Definition:
    document = copy.deepcopy(DRIP)
    if edit:
        edit(document["steps"])
    return load_definition(document)


def fixed(steps: list[dict[str, Any]]) -> None:
    """Email 2's text fixed, a step after email 3, email 1 removed."""
    steps[2]["subject"] = "Tips"
    steps.append(email("email_4", "One more thing"))
    del steps[0]


def waiting(node_id: str) -> Position:
    return Position(node_id, "waiting")


def test_a_waiting_run_continues_at_the_same_wait_and_keeps_its_remaining_time() -> None:
    for wait in ("wait_1", "wait_2"):
        move = plan_move(drip(), drip(fixed), waiting(wait))
        assert (move.movable, move.target, move.wait) == (True, wait, "kept")


def test_a_changed_wait_is_recomputed_from_when_the_original_began() -> None:
    def longer(steps: list[dict[str, Any]]) -> None:
        steps[1]["duration"] = "5d"

    move = plan_move(drip(), drip(longer), waiting("wait_1"))
    assert (move.target, move.wait) == ("wait_1", "recomputed")
    # The other wait did not change: it keeps its time.
    assert plan_move(drip(), drip(longer), waiting("wait_2")).wait == "kept"


def test_a_removed_node_without_a_map_cannot_move_and_says_why() -> None:
    def removed(steps: list[dict[str, Any]]) -> None:
        del steps[1]

    move = plan_move(drip(), drip(removed), waiting("wait_1"))
    assert not move.movable
    assert move.reason == NODE_REMOVED
    assert "wait_1" in (move.detail or "")


def test_a_removed_node_named_in_the_map_continues_at_the_mapped_node() -> None:
    def renamed(steps: list[dict[str, Any]]) -> None:
        steps[1]["id"] = "pause"
        steps[1]["duration"] = "1d"

    move = plan_move(drip(), drip(renamed), waiting("wait_1"), {"wait_1": "pause"})
    assert (move.target, move.wait) == ("pause", "recomputed")


def test_a_map_to_a_node_the_new_version_lacks_cannot_move() -> None:
    move = plan_move(drip(), drip(fixed), waiting("wait_1"), {"wait_1": "nowhere"})
    assert move.reason == NODE_REMOVED


def test_a_node_whose_type_changed_needs_a_map() -> None:
    def retyped(steps: list[dict[str, Any]]) -> None:
        steps[1] = {"id": "wait_1", "type": "wait_for_event", "event": "user.clicked"}

    assert plan_move(drip(), drip(retyped), waiting("wait_1")).reason == TYPE_CHANGED
    mapped = plan_move(drip(), drip(retyped), waiting("wait_1"), {"wait_1": "wait_1"})
    assert (mapped.target, mapped.wait) == ("wait_1", "recomputed")


def test_a_run_mid_action_cannot_move() -> None:
    move = plan_move(drip(), drip(fixed), Position("email_2", "running"))
    assert move.reason == MID_ACTION


def test_a_run_in_its_triggers_own_wait_is_not_in_the_flow() -> None:
    assert plan_move(drip(), drip(fixed), waiting("trigger")).reason == NOT_IN_FLOW


def test_between_steps_a_run_continues_at_the_next_node_without_a_wait_rule() -> None:
    move = plan_move(drip(), drip(fixed), Position("email_2", "between"))
    assert (move.target, move.wait) == ("email_2", None)


LOOP = {
    "name": "Loop",
    "trigger": {"event": "order.placed"},
    "steps": [
        {"id": "each", "type": "for_each", "items": "{{ items }}", "as": "item",
         "body": [{"id": "pause", "type": "wait", "duration": "1d"}, email("tell")]},
        email("done"),
    ],
}  # fmt: skip


def loop(edit: Any = None) -> Definition:
    document = copy.deepcopy(LOOP)
    if edit:
        edit(document["steps"])
    return load_definition(document)


def test_the_nodes_inside_a_loop_are_known_with_their_loop() -> None:
    inside = enclosing(loop())
    assert inside["pause"] == ["each"] and inside["tell"] == ["each"]
    assert "done" not in inside


def test_inside_an_unchanged_loop_the_run_moves_once_the_loop_is_done() -> None:
    def after_changed(steps: list[dict[str, Any]]) -> None:
        steps[1]["subject"] = "All done"

    move = plan_move(loop(), loop(after_changed), waiting("pause"))
    assert (move.target, move.after, move.wait) == ("done", "each", None)


def test_inside_a_loop_whose_shape_changed_the_run_cannot_move() -> None:
    def body_changed(steps: list[dict[str, Any]]) -> None:
        steps[0]["body"][1]["subject"] = "Changed"

    move = plan_move(loop(), loop(body_changed), waiting("pause"))
    assert move.reason == SHAPE_CHANGED
    assert "each" in (move.detail or "")


def test_a_loop_at_the_end_of_the_flow_leaves_nothing_to_move_to() -> None:
    def last(steps: list[dict[str, Any]]) -> None:
        del steps[1]

    assert plan_move(loop(last), loop(last), waiting("pause")).reason == NOTHING_AFTER


def test_a_top_level_wait_mapped_into_a_loop_cannot_move() -> None:
    move = plan_move(drip(), loop(), waiting("wait_1"), {"wait_1": "pause"})
    assert move.reason == TARGET_ENCLOSED


@pytest.mark.parametrize("status", ["waiting", "between"])
def test_the_plan_reads_as_a_dict_for_the_api(status: str) -> None:
    move = plan_move(drip(), drip(fixed), Position("wait_2", status))  # type: ignore[arg-type]
    assert move.as_dict()["target"] == "wait_2"
