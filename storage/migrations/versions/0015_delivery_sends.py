"""deliveries.sends: how many requests for a key may have reached the receiver

Revision ID: 0015_delivery_sends
Revises: 0014_version_messages
Create Date: 2026-12-07 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_delivery_sends"
down_revision: str | Sequence[str] | None = "0014_version_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("sends", sa.Integer(), nullable=False, server_default="0"))
    # Before resends, a key that may have reached its receiver had been sent once.
    op.execute("UPDATE deliveries SET sends = 1 WHERE status IN ('sent', 'delivered', 'unknown')")


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_column("sends")
