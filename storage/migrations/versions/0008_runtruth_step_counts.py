"""runs carry the counts of their completed, failed and skipped steps

A run whose action failed under ``on_error: continue`` ends ``completed``; its failed steps are
what tell the truth about it. The statistics, analytics and alerts count such a run as failed,
and read the count from the run's own row (in the covering index ``ix_runs_analytics``), so
they stay one GROUP BY over one index.

The counts are kept by triggers, so they are right whoever writes the rows:

- when a run is inserted or its status changes, they are counted from its steps (the
  interpreter records a run's steps before the status that follows them, in one transaction);
- when a step of a run that has *ended* is written (a late write, a hand-written fix), they
  are counted again.

A step written while its run is open does not touch the run's row: parallel branches record
their steps concurrently, and a run's status change already locks the run and then its steps
(migration 0005's copies), so a step locking its run would risk a deadlock. While a run is
open its counts are therefore those of its last status change; the API counts an open run's
steps itself.

Revision ID: 0008_runtruth_step_counts
Revises: 0007_merge
Create Date: 2026-12-06 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_runtruth_step_counts"
down_revision: str | None = "0007_merge"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTS = {"steps_completed": "completed", "steps_failed": "failed", "steps_skipped": "skipped"}
_OPEN = "('running', 'waiting')"
_ANALYTICS_COLUMNS = [
    "tenant_id", "workflow_id", "started_at", "status", "goal", "version", "variant",
    "completed_at",
]  # fmt: skip


def _counted(run_id: str) -> str:
    """``steps_x = (SELECT count(*) …)`` for each count, of the run whose id is ``run_id``."""
    return ", ".join(
        f"{column} = (SELECT count(*) FROM run_steps s "
        f"WHERE s.run_id = {run_id} AND s.status = '{status}')"
        for column, status in COUNTS.items()
    )


_SQLITE_TRIGGERS = {
    "runs_count_steps_on_insert": f"""
        CREATE TRIGGER runs_count_steps_on_insert AFTER INSERT ON runs
        BEGIN UPDATE runs SET {_counted("NEW.id")} WHERE id = NEW.id; END""",
    "runs_count_steps_on_status": f"""
        CREATE TRIGGER runs_count_steps_on_status AFTER UPDATE OF status ON runs
        BEGIN UPDATE runs SET {_counted("NEW.id")} WHERE id = NEW.id; END""",
    "run_steps_count_ended_on_insert": f"""
        CREATE TRIGGER run_steps_count_ended_on_insert AFTER INSERT ON run_steps
        BEGIN
            UPDATE runs SET {_counted("NEW.run_id")}
            WHERE id = NEW.run_id AND status NOT IN {_OPEN};
        END""",
    "run_steps_count_ended_on_status": f"""
        CREATE TRIGGER run_steps_count_ended_on_status AFTER UPDATE OF status ON run_steps
        BEGIN
            UPDATE runs SET {_counted("NEW.run_id")}
            WHERE id = NEW.run_id AND status NOT IN {_OPEN};
        END""",
}

_POSTGRESQL_COUNT = "; ".join(
    f"NEW.{column} := (SELECT count(*) FROM run_steps s "
    f"WHERE s.run_id = NEW.id AND s.status = '{status}')"
    for column, status in COUNTS.items()
)
_POSTGRESQL = [
    f"""
    CREATE FUNCTION runs_count_steps() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_POSTGRESQL_COUNT}; RETURN NEW; END $$""",
    """
    CREATE TRIGGER runs_count_steps BEFORE INSERT OR UPDATE OF status ON runs
    FOR EACH ROW EXECUTE FUNCTION runs_count_steps()""",
    # The WHERE reads the run as of the statement's snapshot: an open run is left unlocked.
    f"""
    CREATE FUNCTION run_steps_count_ended() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE runs SET {_counted("NEW.run_id")}
        WHERE id = NEW.run_id AND status NOT IN {_OPEN};
        RETURN NULL;
    END $$""",
    """
    CREATE TRIGGER run_steps_count_ended AFTER INSERT OR UPDATE OF status ON run_steps
    FOR EACH ROW EXECUTE FUNCTION run_steps_count_ended()""",
]
_POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS run_steps_count_ended ON run_steps",
    "DROP TRIGGER IF EXISTS runs_count_steps ON runs",
    "DROP FUNCTION IF EXISTS run_steps_count_ended()",
    "DROP FUNCTION IF EXISTS runs_count_steps()",
]


def upgrade() -> None:
    for column in COUNTS:
        op.add_column("runs", sa.Column(column, sa.Integer(), nullable=False, server_default="0"))
    op.execute(f"UPDATE runs SET {_counted('runs.id')}")
    if op.get_bind().dialect.name == "postgresql":
        for statement in _POSTGRESQL:
            op.execute(statement)
    else:
        for statement in _SQLITE_TRIGGERS.values():
            op.execute(statement)
    # The statistics decide success by the failed steps too, still from the index alone.
    op.drop_index("ix_runs_analytics", table_name="runs")
    op.create_index("ix_runs_analytics", "runs", [*_ANALYTICS_COLUMNS, "steps_failed"])


def downgrade() -> None:
    op.drop_index("ix_runs_analytics", table_name="runs")
    op.create_index("ix_runs_analytics", "runs", _ANALYTICS_COLUMNS)
    if op.get_bind().dialect.name == "postgresql":
        for statement in _POSTGRESQL_DROP:
            op.execute(statement)
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    # Not a batch: rebuilding ``runs`` on SQLite would drop migration 0005's triggers on it.
    for column in reversed(COUNTS):
        op.drop_column("runs", column)
