"""The node handlers, one module per family, and the one table the interpreter dispatches on.

Adding a node type: write its handler in its family's module (``async def handler(run, node,
scope) -> Outcome``, see ``workflows.nodes.base``) and add it to ``HANDLERS``.
"""

from __future__ import annotations

from definitions.nodes import ACTION_TYPES
from workflows.nodes import actions, branching, calls, goals, loops, variables, waits
from workflows.nodes.base import Handler

HANDLERS: dict[str, Handler] = {
    # Every action is its activity, named as its type; ``activity`` names a team's own.
    **{action: actions.action for action in ACTION_TYPES},
    "activity": actions.custom_activity,
    "condition": branching.condition,
    "switch": branching.switch,
    "split": branching.split,
    "stop": branching.stop,
    "set": variables.set_values,
    "wait": waits.wait,
    "wait_for_event": waits.wait_for_event,
    "wait_condition": waits.wait_condition,
    "for_each": loops.for_each,
    "parallel": loops.parallel,
    "sub_workflow": calls.sub_workflow,
    "goal": goals.goal,
}
