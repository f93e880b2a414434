"""Closure days and other hours from external calendars: `closure_sources` (an .ics address or a
CalDAV collection an office polls, with its last answer) and `source_days` (the dates each source
sets, kept apart from the managers' own so that those win and a source takes back only its own).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-03 18:20:00.000000
"""
from alembic import op
import sqlalchemy as sa

import okienko.storage.models


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

_UTC = okienko.storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'closure_sources',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=100), nullable=False),
        sa.Column('url', sa.String(length=2000), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('etag', sa.String(length=200), nullable=False),
        sa.Column('last_modified', sa.String(length=100), nullable=False),
        sa.Column('polled_at', _UTC, nullable=True),
        sa.Column('changed_at', _UTC, nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('error', sa.String(length=200), nullable=False),
        sa.Column('created_at', _UTC, nullable=False),
        sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('office_id', 'name'),
    )
    with op.batch_alter_table('closure_sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_closure_sources_office_id'), ['office_id'], unique=False)
    op.create_table(
        'source_days',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('source_id', sa.Integer(), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('ranges', sa.JSON(), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
        sa.ForeignKeyConstraint(['source_id'], ['closure_sources.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('source_id', 'day'),
    )
    with op.batch_alter_table('source_days', schema=None) as batch_op:
        batch_op.create_index('ix_source_days_office_day', ['office_id', 'day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('source_days', schema=None) as batch_op:
        batch_op.drop_index('ix_source_days_office_day')
    op.drop_table('source_days')
    with op.batch_alter_table('closure_sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_closure_sources_office_id'))
    op.drop_table('closure_sources')
