"""sms_rate: how fast each number is texting (ivr/storage/rate_limit.py)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 23:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sms_rate',
    sa.Column('phone_hash', sa.String(length=64), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('phone_hash')
    )


def downgrade() -> None:
    op.drop_table('sms_rate')
