"""run watches; the variant and goal of a run

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "run_watches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.String(length=200), nullable=False),
        sa.Column("entity", sa.String(length=200), nullable=False),
        sa.Column("event_type", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("run_id", "event_type"),
    )
    with op.batch_alter_table("run_watches", schema=None) as batch_op:
        batch_op.create_index(
            "ix_run_watches_lookup", ["tenant_id", "entity", "event_type"], unique=False
        )

    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("variant", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("goal", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.drop_column("goal")
        batch_op.drop_column("variant")

    with op.batch_alter_table("run_watches", schema=None) as batch_op:
        batch_op.drop_index("ix_run_watches_lookup")

    op.drop_table("run_watches")
