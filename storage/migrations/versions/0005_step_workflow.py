"""run_steps carry copies of their run's workflow, start and status, and the previous step's node

Analytics over 100,000 runs spent nearly all their time joining each run to its steps and each
step to its successor. With these copies every per-node figure is one GROUP BY over one covering
index of ``run_steps``.

The copies are kept by triggers, so they are right whoever writes the rows (the recorder, the
API, a test, a hand-written fix) and in whichever order a run and its steps arrive:

- a step, when inserted, copies its run's columns and the node of its run's step ``seq - 1``,
  and becomes the previous node of its run's step ``seq + 1`` (steps may be written out of order);
- a run, when inserted or when its workflow, start or status change, copies them to its steps.

A step's ``seq`` and ``node_id`` never change once written (the interpreter numbers a visit when
it begins), so no trigger watches them.

Revision ID: 0005_step_workflow
Revises: 0004_analytics
Create Date: 2026-11-22 05:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_step_workflow"
down_revision: str | None = "0004_analytics"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COPIES = ("workflow_id", "run_started_at", "run_status", "previous_node_id")

_FROM_RUN = """
    workflow_id = (SELECT r.workflow_id FROM runs r WHERE r.id = run_steps.run_id),
    run_started_at = (SELECT r.started_at FROM runs r WHERE r.id = run_steps.run_id),
    run_status = (SELECT r.status FROM runs r WHERE r.id = run_steps.run_id)"""
_PREVIOUS_NODE = """
    previous_node_id = (SELECT p.node_id FROM run_steps p
                        WHERE p.run_id = run_steps.run_id AND p.seq = run_steps.seq - 1 LIMIT 1)"""
_TO_STEPS = """
    UPDATE run_steps
    SET workflow_id = NEW.workflow_id, run_started_at = NEW.started_at, run_status = NEW.status
    WHERE run_id = NEW.id AND (workflow_id IS NULL OR run_status IS NULL
        OR run_status <> NEW.status OR workflow_id <> NEW.workflow_id
        OR run_started_at <> NEW.started_at);"""
_NEXT_STEP = """
    UPDATE run_steps SET previous_node_id = NEW.node_id
    WHERE run_id = NEW.run_id AND seq = NEW.seq + 1;"""

_SQLITE_TRIGGERS = {
    "run_steps_copy_run": f"""
        CREATE TRIGGER run_steps_copy_run AFTER INSERT ON run_steps
        BEGIN
            UPDATE run_steps SET {_FROM_RUN}, {_PREVIOUS_NODE} WHERE id = NEW.id;
            {_NEXT_STEP}
        END""",
    "runs_copy_to_steps_on_insert": f"""
        CREATE TRIGGER runs_copy_to_steps_on_insert AFTER INSERT ON runs
        BEGIN {_TO_STEPS} END""",
    "runs_copy_to_steps_on_update": f"""
        CREATE TRIGGER runs_copy_to_steps_on_update
        AFTER UPDATE OF workflow_id, started_at, status ON runs
        BEGIN {_TO_STEPS} END""",
}

# PostgreSQL: a BEFORE trigger fills the new step itself; SQL in a row trigger sees the rows an
# earlier row of the same statement wrote, so a batch of one run's steps links up in order.
_POSTGRESQL = [
    """
    CREATE FUNCTION run_steps_copy_run() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        SELECT r.workflow_id, r.started_at, r.status
            INTO NEW.workflow_id, NEW.run_started_at, NEW.run_status
            FROM runs r WHERE r.id = NEW.run_id;
        SELECT p.node_id INTO NEW.previous_node_id
            FROM run_steps p WHERE p.run_id = NEW.run_id AND p.seq = NEW.seq - 1 LIMIT 1;
        RETURN NEW;
    END $$""",
    """
    CREATE TRIGGER run_steps_copy_run BEFORE INSERT ON run_steps
    FOR EACH ROW EXECUTE FUNCTION run_steps_copy_run()""",
    f"""
    CREATE FUNCTION run_steps_link_next() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_NEXT_STEP} RETURN NULL; END $$""",
    """
    CREATE TRIGGER run_steps_link_next AFTER INSERT ON run_steps
    FOR EACH ROW EXECUTE FUNCTION run_steps_link_next()""",
    f"""
    CREATE FUNCTION runs_copy_to_steps() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN {_TO_STEPS} RETURN NULL; END $$""",
    """
    CREATE TRIGGER runs_copy_to_steps AFTER INSERT OR UPDATE OF workflow_id, started_at, status
    ON runs FOR EACH ROW EXECUTE FUNCTION runs_copy_to_steps()""",
]
_POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS runs_copy_to_steps ON runs",
    "DROP TRIGGER IF EXISTS run_steps_link_next ON run_steps",
    "DROP TRIGGER IF EXISTS run_steps_copy_run ON run_steps",
    "DROP FUNCTION IF EXISTS runs_copy_to_steps()",
    "DROP FUNCTION IF EXISTS run_steps_link_next()",
    "DROP FUNCTION IF EXISTS run_steps_copy_run()",
]


def upgrade() -> None:
    op.add_column("run_steps", sa.Column("workflow_id", sa.String(length=64), nullable=True))
    op.add_column(
        "run_steps", sa.Column("run_started_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("run_steps", sa.Column("run_status", sa.String(length=16), nullable=True))
    op.add_column("run_steps", sa.Column("previous_node_id", sa.String(length=200), nullable=True))
    op.execute(f"UPDATE run_steps SET {_FROM_RUN}, {_PREVIOUS_NODE}")
    if op.get_bind().dialect.name == "postgresql":
        for statement in _POSTGRESQL:
            op.execute(statement)
    else:
        for statement in _SQLITE_TRIGGERS.values():
            op.execute(statement)
    # The old index served the join these columns replace.
    op.drop_index("ix_run_steps_path", table_name="run_steps")
    op.create_index(
        "ix_run_steps_analytics",
        "run_steps",
        ["tenant_id", "workflow_id", "node_id", "type", "status", "previous_node_id", "run_status",
         "run_started_at", "seq", "started_at", "completed_at"],
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_run_steps_analytics", table_name="run_steps")
    op.create_index(
        "ix_run_steps_path",
        "run_steps",
        ["run_id", "seq", "node_id", "status", "type", "started_at", "completed_at"],
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in _POSTGRESQL_DROP:
            op.execute(statement)
    else:
        for name in _SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    with op.batch_alter_table("run_steps") as batch:
        for column in reversed(_COPIES):
            batch.drop_column(column)
