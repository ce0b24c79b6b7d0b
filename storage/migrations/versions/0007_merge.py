"""join the migration branches written side by side (records, exports, email templates, event
catalog, maintenance, analytics → rate limits) into one head again

Revision ID: 0007_merge
Revises: 0004_email_templates, 0004_event_catalog, 0004_exports, 0004_maintenance,
    0004_records, 0006_rate_limits
Create Date: 2026-11-22 06:40:00.000000
"""

from collections.abc import Sequence

revision: str = "0007_merge"
down_revision: str | Sequence[str] | None = (
    "0004_email_templates",
    "0004_event_catalog",
    "0004_exports",
    "0004_maintenance",
    "0004_records",
    "0006_rate_limits",
)
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
