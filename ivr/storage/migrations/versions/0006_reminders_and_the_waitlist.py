"""reminders and the waitlist (issue 16)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""
import sqlalchemy as sa  # noqa: F401 - used once the tables are added
from alembic import op  # noqa: F401

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # filled in by the change


def downgrade() -> None:
    pass
