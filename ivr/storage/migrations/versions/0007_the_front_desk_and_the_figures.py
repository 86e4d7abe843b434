"""the front desk and the figures: daily totals, booking states (issue 15)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attendance', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('attendance_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_bookings_slot_id', ['slot_id'], unique=False)
        batch_op.create_index('ix_bookings_cancelled_at', ['cancelled_at'], unique=False)

    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.add_column(sa.Column('done_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('note', sa.String(length=500), nullable=True))
        batch_op.create_index('ix_callbacks_queue', ['status', 'created_at', 'id'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booking_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_outbox_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index('ix_outbox_status_id', ['status', 'id'], unique=False)

    op.create_table('daily_figures',
    sa.Column('scope', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('figure', sa.String(length=40), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('node', sa.String(length=100), nullable=False),
    sa.Column('ref_day', sa.Date(), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('scope', 'day', 'figure', 'channel', 'node', 'ref_day')
    )
    op.create_table('figure_tails',
    sa.Column('conversation', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('scope', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('node', sa.String(length=100), nullable=False),
    sa.Column('marks', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('conversation', 'channel', 'scope')
    )
    with op.batch_alter_table('figure_tails', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_figure_tails_at'), ['at'], unique=False)

    state = op.create_table('figures_state',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('counting', sa.Text(), nullable=False),
    sa.Column('batches', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    # Not counted yet: the first report counts the steps already recorded (storage/daily_figures.py).
    op.bulk_insert(state, [{'id': 1, 'counting': '', 'batches': 0}])


def downgrade() -> None:
    op.drop_table('figures_state')
    with op.batch_alter_table('figure_tails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_figure_tails_at'))
    op.drop_table('figure_tails')
    op.drop_table('daily_figures')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_status_id')
        batch_op.drop_index(batch_op.f('ix_outbox_booking_id'))
        batch_op.drop_column('booking_id')

    with op.batch_alter_table('callbacks', schema=None) as batch_op:
        batch_op.drop_index('ix_callbacks_queue')
        batch_op.drop_column('note')
        batch_op.drop_column('done_at')

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_cancelled_at')
        batch_op.drop_index('ix_bookings_slot_id')
        batch_op.drop_column('attendance_at')
        batch_op.drop_column('attendance')
