"""Goals: a condition that, once it holds anywhere in the run, sends the run to the goal node
and ends it ``goal_reached``.

Goals are checked after every node and every event of the entity; when one holds, the walks in
progress unwind (``GoalReached``, waits included) and ``Goals.reach`` takes over. A goal node
reached by its edge counts only if its condition holds then.
"""

from __future__ import annotations

from definitions.models import Node
from workflows.contract import RECORD_RUN_MARKS, RunMarksInput
from workflows.nodes.base import GoalReached, Outcome, Run, RunEnd, Scope, holds
from workflows.steps import local_activity


class Goals:
    def __init__(self) -> None:
        self.hit: str | None = None
        """The goal whose condition held, until the run has gone there."""
        self.done = False
        """A goal was reached: the rest of the run goes on without goals re-triggering."""

    def watching(self, run: Run) -> bool:
        """Whether goals may still trigger (and so watch every event of the entity)."""
        return bool(run.graph.goals) and not self.done

    def check(self, run: Run) -> None:
        """Note the first goal whose condition holds at the run's top level."""
        if self.hit is not None or self.done or not run.graph.goals:
            return
        scope = Scope(run.context)
        for goal in run.graph.goals:
            if holds(run, goal.config["condition"], scope):
                self.hit = goal.id
                return

    async def reach(self, run: Run, scope: Scope) -> RunEnd:
        """Go to the goal that held: its step, the run's mark, then what follows it."""
        goal = run.graph.nodes[str(self.hit)]
        if run.path[-1:] != [goal.id]:  # reached by its edge, the walk put it there already
            run.path.append(goal.id)
        value = goal.config.get("value")
        output = {"goal": goal.id} | ({"value": value} if value is not None else {})
        run.log.done(goal, scope, output)
        await local_activity(RECORD_RUN_MARKS, RunMarksInput(run.ref, goal=goal.id))
        self.hit, self.done = None, True
        end = await run.walk(run.graph.successor(goal.id, None), scope)
        return end or RunEnd("goal_reached")


async def goal(run: Run, node: Node, scope: Scope) -> Outcome:
    """Reached by an edge: the goal counts if its condition holds, else the walk goes on."""
    if not run.goals.done and holds(run, node.config["condition"], Scope(run.context)):
        run.goals.hit = node.id
        raise GoalReached()
    run.log.record(node, scope, "skipped", {"reason": "goal not met"})
    return None
