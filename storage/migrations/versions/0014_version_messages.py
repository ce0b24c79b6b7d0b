"""workflow_versions: what the author said a version changes (message)

Revision ID: 0014_version_messages
Revises: 0013_sent_messages
Create Date: 2026-12-06 19:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_version_messages"
down_revision: str | Sequence[str] | None = "0013_sent_messages"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workflow_versions") as batch:
        batch.add_column(sa.Column("message", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("workflow_versions") as batch:
        batch.drop_column("message")
