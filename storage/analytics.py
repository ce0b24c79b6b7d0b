"""A workflow's analytics for a period, computed in the database with GROUP BY queries.

Nothing here loads runs one by one: every figure is an aggregate over ``runs`` or over
``run_steps`` (each step carries its run's workflow, start and status, and the node before it,
so the steps are read without a join), and the rows returned grow with the number of groups,
not with the number of runs. The queries run unchanged on SQLite and PostgreSQL.

A run belongs to a period when it *started* in it (``from`` inclusive, ``to`` exclusive).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column
from sqlalchemy import select as wide_select
from sqlmodel import Session, col, select

from storage.models import Run, RunStep, WorkflowVersion

OPEN_STATUSES = ("running", "waiting")
SUCCEEDED = ("completed", "goal_reached")
"""Run statuses that end a run as it was meant to end; it succeeded when none of its steps
failed. ``failed`` is a failure, and so is a run that went on past a failed step (``on_error:
continue``); the other statuses are neither (``outcome_counts``)."""


def past_failed_steps() -> ColumnElement[bool]:
    """The run ended ``completed``/``goal_reached``, but some of its steps failed."""
    # The integer test first: it is false for nearly every run, and spares the IN.
    return and_(col(Run.steps_failed) > 0, col(Run.status).in_(SUCCEEDED))


def outcome_counts() -> tuple[Any, Any, Any]:
    """Aggregates over runs: those that ended completed or goal_reached, those that ended
    failed, and those of the first that went on past failed steps — ``outcomes`` turns them
    into (succeeded, failed)."""
    status = col(Run.status)
    return (
        count_if(status.in_(SUCCEEDED)),
        count_if(status == "failed"),
        count_if(past_failed_steps()),
    )


def outcomes(ended: int | None, failed: int | None, past: int | None) -> tuple[int, int]:
    """(succeeded, failed) from ``outcome_counts``: a run past failed steps is a failure."""
    past = past or 0
    return (ended or 0) - past, (failed or 0) + past


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime


def seconds_between(session: Session, start: Any, end: Any) -> Any:
    """``end - start`` in seconds, as SQL for the session's database."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)


def runs_in(tenant_id: str, period: Period, workflow_id: str | None = None) -> ColumnElement[bool]:
    """The runs of a tenant (and workflow) that started in ``period``."""
    conditions = [
        col(Run.tenant_id) == tenant_id,
        col(Run.started_at) >= period.start,
        col(Run.started_at) < period.end,
    ]
    if workflow_id is not None:
        conditions.append(col(Run.workflow_id) == workflow_id)
    return and_(*conditions)


def count_runs(session: Session, tenant_id: str, workflow_id: str, period: Period) -> int:
    return session.exec(
        select(func.count()).select_from(Run).where(runs_in(tenant_id, period, workflow_id))
    ).one()


def rate(part: int, whole: int) -> float | None:
    return None if whole == 0 else round(part / whole, 4)


@dataclass
class GoalFigures:
    goal: str
    conversions: int
    value: float | None = None
    """Conversions times the goal node's ``value`` (per version: a value may change)."""


@dataclass
class Completion:
    runs: int
    """Runs that ended ``completed`` or ``goal_reached``: what the times are over."""
    average_seconds: float | None = None
    median_seconds: float | None = None


@dataclass
class DropOff:
    """Where runs stopped: the last step of the runs that ended, by how they ended, and the
    open steps (waiting or running) of the runs still in flight."""

    node_id: str
    ended: dict[str, int] = field(default_factory=dict)
    waiting: int = 0


@dataclass
class NodeFigures:
    node_id: str
    type: str
    visits: int
    completed: int
    failed: int
    skipped: int
    cancelled: int
    open: int
    success_rate: float | None
    """completed / (completed + failed)."""
    average_seconds: float | None


@dataclass
class VariantFigures:
    variant: str
    runs: int
    conversions: int
    conversion_rate: float | None
    failed: int
    """Runs that ended failed, or completed/goal_reached past failed steps."""


@dataclass
class WorkflowAnalytics:
    workflow_id: str
    start: datetime
    end: datetime
    runs: int
    by_status: dict[str, int]
    succeeded: int
    """Runs that ended completed or goal_reached with no failed step."""
    failed: int
    """Runs that ended failed, or completed/goal_reached past failed steps."""
    with_failed_steps: int
    """Of ``failed``, the runs that ended completed or goal_reached past failed steps."""
    success_rate: float | None
    """succeeded / (succeeded + failed)."""
    conversions: int
    conversion_rate: float | None
    goal_value: float | None
    goals: list[GoalFigures]
    completion: Completion
    drop_off: list[DropOff]
    nodes: list[NodeFigures]
    variants: list[VariantFigures]


def workflow_analytics(
    session: Session, tenant_id: str, workflow_id: str, period: Period
) -> WorkflowAnalytics:
    where = runs_in(tenant_id, period, workflow_id)
    groups = _run_groups(session, where)
    by_status: dict[str, int] = defaultdict(int)
    for group in groups:
        by_status[group.status] += group.count
    runs = sum(by_status.values())
    past_failures = sum(g.with_failed_steps for g in groups if g.status in SUCCEEDED)
    succeeded = sum(g.count for g in groups if g.status in SUCCEEDED) - past_failures
    failed = by_status.get("failed", 0) + past_failures
    goals = _goals(session, groups, workflow_id)
    conversions = sum(g.conversions for g in goals)
    values = [g.value for g in goals if g.value is not None]
    moves = step_moves(session, tenant_id, workflow_id, period)
    return WorkflowAnalytics(
        workflow_id=workflow_id,
        start=period.start,
        end=period.end,
        runs=runs,
        by_status=dict(by_status),
        succeeded=succeeded,
        failed=failed,
        with_failed_steps=past_failures,
        success_rate=rate(succeeded, succeeded + failed),
        conversions=conversions,
        conversion_rate=rate(conversions, runs),
        goal_value=sum(values) if values else None,
        goals=goals,
        completion=_completion(session, where, groups),
        drop_off=_drop_off(moves),
        nodes=node_figures(moves),
        variants=_variants(groups),
    )


@dataclass
class _RunGroup:
    status: str
    goal: str | None
    version: int
    variant: str | None
    count: int
    seconds: float
    """The summed durations of the group's runs that have ended."""
    with_failed_steps: int
    """The group's runs with a failed step."""


def _run_groups(session: Session, where: ColumnElement[bool]) -> list[_RunGroup]:
    """The runs counted by (status, goal, version, variant): one pass over the runs answers
    the statuses, the goals and the variants."""
    duration = seconds_between(session, Run.started_at, Run.completed_at)
    return [
        _RunGroup(status, goal, version, variant, count, float(seconds or 0), int(failing or 0))
        for status, goal, version, variant, count, seconds, failing in session.execute(
            wide_select(
                col(Run.status), col(Run.goal), col(Run.version), col(Run.variant),
                func.count(), func.sum(duration), count_if(col(Run.steps_failed) > 0),
            )
            .where(where)
            .group_by(col(Run.status), col(Run.goal), col(Run.version), col(Run.variant))
        )
    ]  # fmt: skip


def _goals(session: Session, groups: list[_RunGroup], workflow_id: str) -> list[GoalFigures]:
    reached = [g for g in groups if g.goal is not None]
    values = _goal_values(session, workflow_id, {g.version for g in reached})
    figures: dict[str, GoalFigures] = {}
    for group in reached:
        goal = str(group.goal)
        figure = figures.setdefault(goal, GoalFigures(goal, 0))
        figure.conversions += group.count
        value = values.get((group.version, goal))
        if value is not None:
            figure.value = (figure.value or 0.0) + value * group.count
    return sorted(figures.values(), key=lambda g: (-g.conversions, g.goal))


def _goal_values(
    session: Session, workflow_id: str, versions: set[int]
) -> dict[tuple[int, str], float]:
    """(version, goal node) → the ``value`` that goal node carries, where it is a number."""
    if not versions:
        return {}
    found: dict[tuple[int, str], float] = {}
    for number, definition in session.exec(
        select(WorkflowVersion.version, WorkflowVersion.definition).where(
            WorkflowVersion.workflow_id == workflow_id, col(WorkflowVersion.version).in_(versions)
        )
    ):
        for node in definition.get("nodes", []):
            value = (node.get("config") or {}).get("value")
            if node.get("type") == "goal" and isinstance(value, int | float):
                found[(number, node["id"])] = float(value)
    return found


def _completion(
    session: Session, where: ColumnElement[bool], groups: list[_RunGroup]
) -> Completion:
    done = [g for g in groups if g.status in SUCCEEDED]
    count = sum(g.count for g in done)
    if not count:
        return Completion(0)
    average = sum(g.seconds for g in done) / count
    duration = seconds_between(session, Run.started_at, Run.completed_at)
    ended = (where, col(Run.status).in_(SUCCEEDED), col(Run.completed_at).is_not(None))
    if session.get_bind().dialect.name == "postgresql":
        # An in-memory sort of the durations alone; ORDER BY … OFFSET sorts whole rows and
        # spills to disk at 100,000 runs.
        median = session.exec(
            select(func.percentile_cont(0.5).within_group(duration)).where(*ended)
        ).one()
        return Completion(count, _round(average), _round(median))
    # The median without loading every duration: the middle one (or two) in order.
    middle = list(
        session.exec(
            select(duration)
            .where(*ended)
            .order_by(duration)
            .offset((count - 1) // 2)
            .limit(1 if count % 2 else 2)
        )
    )
    return Completion(count, _round(average), _round(sum(middle) / len(middle)))


def _variants(groups: list[_RunGroup]) -> list[VariantFigures]:
    figures: dict[str, VariantFigures] = {}
    for group in groups:
        if group.variant is None:
            continue
        figure = figures.setdefault(group.variant, VariantFigures(group.variant, 0, 0, None, 0))
        figure.runs += group.count
        figure.conversions += group.count if group.goal is not None else 0
        figure.failed += group.count if group.status == "failed" else 0
        figure.failed += group.with_failed_steps if group.status in SUCCEEDED else 0
    for figure in figures.values():
        figure.conversion_rate = rate(figure.conversions, figure.runs)
    return sorted(figures.values(), key=lambda v: v.variant)


def count_if(condition: ColumnElement[bool]) -> Any:
    return func.sum(case((condition, 1), else_=0))


def steps_in(tenant_id: str, period: Period, workflow_id: str) -> ColumnElement[bool]:
    """The steps of a tenant's workflow's runs that started in ``period``: read from the
    run's columns each step carries (see ``RunStep``), so no join to ``runs``."""
    return and_(
        col(RunStep.tenant_id) == tenant_id,
        col(RunStep.workflow_id) == workflow_id,
        col(RunStep.run_started_at) >= period.start,
        col(RunStep.run_started_at) < period.end,
    )


@dataclass
class StepMove:
    """Steps of the selected runs counted by node, step status, the node of the step that
    came before it in the run (None: it was the run's first) and the run's status."""

    node_id: str
    type: str
    status: str
    previous_node: str | None
    run_status: str
    count: int
    first: int
    """How many of them were their run's first step."""
    seconds: float
    timed: int
    """How many of them have ended (and so a duration, summed in ``seconds``)."""


def step_moves(
    session: Session, tenant_id: str, workflow_id: str, period: Period, *, timed: bool = True
) -> list[StepMove]:
    """One GROUP BY over the workflow's steps in the period, in the order of the index that
    covers it (``ix_run_steps_analytics``), that every per-node figure is read from.
    ``timed=False`` leaves out the durations (zero), the dearest part on SQLite."""
    keys = (
        col(RunStep.node_id), col(RunStep.type), col(RunStep.status),
        col(RunStep.previous_node_id), col(RunStep.run_status),
    )  # fmt: skip
    durations = (
        # NULL while a step is open: SUM and COUNT skip it.
        func.sum(seconds_between(session, RunStep.started_at, RunStep.completed_at)),
        func.count(col(RunStep.completed_at)),
    ) if timed else (literal_column("0"), literal_column("0"))  # fmt: skip
    query = (
        wide_select(*keys, func.count(), count_if(col(RunStep.seq) == 1), *durations)
        .where(steps_in(tenant_id, period, workflow_id))
        .group_by(*keys)
    )
    return [
        StepMove(node, kind, status, previous, run_status, count, first, float(seconds or 0), timed)
        for node, kind, status, previous, run_status, count, first, seconds, timed in (
            session.execute(query)
        )
    ]


def _drop_off(moves: list[StepMove]) -> list[DropOff]:
    """A step of an ended run is its run's last when no step names it as previous: per node
    and run status, the steps there less the steps that came after one there."""
    ended: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    waiting: dict[str, int] = defaultdict(int)
    for move in moves:
        if move.run_status in OPEN_STATUSES:
            if move.status in OPEN_STATUSES:
                waiting[move.node_id] += move.count
            continue
        ended[move.node_id][move.run_status] += move.count
        if move.previous_node is not None:
            ended[move.previous_node][move.run_status] -= move.count
    figures = {node: DropOff(node, waiting=count) for node, count in waiting.items()}
    for node, by_status in ended.items():
        last = {status: count for status, count in by_status.items() if count}
        if last:
            figures.setdefault(node, DropOff(node)).ended = last
    return sorted(figures.values(), key=lambda d: (-sum(d.ended.values()) - d.waiting, d.node_id))


def node_figures(moves: list[StepMove]) -> list[NodeFigures]:
    """Per node: visits (a loop's iterations and a cycle's passes each count), outcomes, the
    success rate and the average duration of the visits that ended."""
    totals: dict[str, dict[str, Any]] = {}
    for move in moves:
        total = totals.setdefault(
            move.node_id, {"type": move.type, "count": 0, "seconds": 0.0, "timed": 0}
        )
        total["type"] = max(total["type"], move.type)  # a node may change type across versions
        total["count"] += move.count
        total["seconds"] += move.seconds
        total["timed"] += move.timed
        status = "open" if move.status in OPEN_STATUSES else move.status
        total[status] = total.get(status, 0) + move.count
    figures = []
    for node_id, t in sorted(totals.items()):
        done, failed = t.get("completed", 0), t.get("failed", 0)
        figures.append(
            NodeFigures(
                node_id,
                t["type"],
                t["count"],
                done,
                failed,
                t.get("skipped", 0),
                t.get("cancelled", 0),
                t.get("open", 0),
                rate(done, done + failed),
                _round(t["seconds"] / t["timed"]) if t["timed"] else None,
            )  # fmt: skip
        )
    return figures


@dataclass
class Transitions:
    """How runs moved through the graph: node visits, the first node of each run, and pairs of
    consecutive steps (by the order the run recorded them)."""

    visits: dict[str, int]
    entries: dict[str, int]
    pairs: dict[tuple[str, str], int]


def transitions(session: Session, tenant_id: str, workflow_id: str, period: Period) -> Transitions:
    moves = step_moves(session, tenant_id, workflow_id, period, timed=False)
    visits: dict[str, int] = defaultdict(int)
    entries: dict[str, int] = defaultdict(int)
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    for move in moves:
        visits[move.node_id] += move.count
        if move.first:
            entries[move.node_id] += move.first
        if move.previous_node is not None:
            pairs[(move.previous_node, move.node_id)] += move.count
    return Transitions(dict(visits), dict(entries), dict(pairs))


def _round(value: float | None) -> float | None:
    return None if value is None else round(float(value), 3)
