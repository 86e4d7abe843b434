"""security: limits, leases and verification (issue 11)

The outbox learns which call asked for a text (the texts-per-call limit) and holds a lease per
row while it is being sent (who holds it, until when), so that only a row whose worker stopped
is queued again. A row already 'sending' when this runs has no lease: the worker recovers it
by its updated_at, as before.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('call_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('lease_owner', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('lease_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_call_hash'), ['call_hash'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_call_hash'))
        batch_op.drop_column('lease_until')
        batch_op.drop_column('lease_owner')
        batch_op.drop_column('call_hash')
