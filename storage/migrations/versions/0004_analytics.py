"""run history and analytics: runs.retry_of, covering indexes for the analytics queries

Revision ID: 0004_analytics
Revises: 0003
Create Date: 2026-11-22 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_analytics"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.add_column(sa.Column("retry_of", sa.String(length=200), nullable=True))
    op.create_index(
        "ix_run_steps_path",
        "run_steps",
        ["run_id", "seq", "node_id", "status", "type", "started_at", "completed_at"],
    )
    op.create_index(
        "ix_runs_analytics",
        "runs",
        ["tenant_id", "workflow_id", "started_at", "status", "goal", "version", "variant",
         "completed_at"],
    )  # fmt: skip


def downgrade() -> None:
    op.drop_index("ix_runs_analytics", table_name="runs")
    op.drop_index("ix_run_steps_path", table_name="run_steps")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("retry_of")
