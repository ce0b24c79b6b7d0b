"""maintenance: alert marks, runs by completion time (alerts and retention)

Revision ID: 0004_maintenance
Revises: 0003
Create Date: 2026-11-25 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_maintenance"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "alert_marks",
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("workflow_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("alerted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "workflow_id", "kind"),
    )
    op.create_index("ix_runs_completed", "runs", ["completed_at"])


def downgrade() -> None:
    op.drop_index("ix_runs_completed", table_name="runs")
    op.drop_table("alert_marks")
