"""flow versions in the database (issue 13)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('flow_versions',
    sa.Column('number', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('published_by', sa.String(length=120), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('based_on', sa.Integer(), nullable=True),
    sa.Column('draft_id', sa.Integer(), nullable=True),
    sa.Column('warnings', sa.Integer(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('changes', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('number')
    )
    op.create_index(op.f('ix_flow_versions_content_hash'), 'flow_versions', ['content_hash'], unique=False)
    op.create_table('flow_version_files',
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['number'], ['flow_versions.number'], ),
    sa.PrimaryKeyConstraint('number', 'name')
    )
    op.create_table('flow_drafts',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('based_on', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('made_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('made_by', sa.String(length=120), nullable=False),
    sa.Column('saved_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('saved_by', sa.String(length=120), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('errors', sa.Integer(), nullable=False),
    sa.Column('warnings', sa.Integer(), nullable=False),
    sa.Column('problems', sa.JSON(), nullable=False),
    sa.Column('conflicts', sa.JSON(), nullable=False),
    sa.Column('published_as', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('flow_draft_files',
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['flow_drafts.id'], ),
    sa.PrimaryKeyConstraint('draft_id', 'name')
    )
    op.create_table('flow_lock',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('publishes', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    # Which published flow version answered each step (none for steps recorded before).
    op.add_column('events', sa.Column('flow_version', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column('events', 'flow_version')
    op.drop_table('flow_lock')
    op.drop_table('flow_draft_files')
    op.drop_table('flow_drafts')
    op.drop_table('flow_version_files')
    op.drop_index(op.f('ix_flow_versions_content_hash'), table_name='flow_versions')
    op.drop_table('flow_versions')
