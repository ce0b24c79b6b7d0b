"""The interpreter's one dispatch table: every node type a definition may hold has a handler."""

from __future__ import annotations

from definitions.nodes import ACTION_TYPES, NODE_TYPES
from workflows.nodes import HANDLERS, actions


def test_every_node_type_has_exactly_one_handler_and_nothing_else_does() -> None:
    assert set(HANDLERS) == set(NODE_TYPES)


def test_actions_call_their_activity_and_activity_steps_call_a_team_s_own() -> None:
    assert {HANDLERS[kind] for kind in ACTION_TYPES - {"activity"}} == {actions.action}
    assert HANDLERS["activity"] is actions.custom_activity
