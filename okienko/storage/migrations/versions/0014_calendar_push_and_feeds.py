"""Staff calendars (docs/calendar.md): `calendar_pushes`, a booking's pending change for the CalDAV
calendars (one row per booking, written in the booking's transaction), and `calendar_feeds`, the
links of the staff feeds (token hashed).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 18:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

import okienko.storage.models


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

_UTC = okienko.storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'calendar_pushes',
        sa.Column('booking_id', sa.String(length=32), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('pushed_version', sa.Integer(), nullable=False),
        sa.Column('copies', sa.JSON(), nullable=False),
        sa.Column('changed_at', _UTC, nullable=False),
        sa.Column('next_attempt_at', _UTC, nullable=False),
        sa.Column('claimed_until', _UTC, nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.String(length=300), nullable=True),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], ),
        sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
        sa.PrimaryKeyConstraint('booking_id'),
    )
    with op.batch_alter_table('calendar_pushes', schema=None) as batch_op:
        batch_op.create_index('ix_calendar_pushes_due', ['next_attempt_at'], unique=False)
    op.create_table(
        'calendar_feeds',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('scope', sa.String(length=10), nullable=False),
        sa.Column('target', sa.String(length=40), nullable=False),
        sa.Column('with_names', sa.Boolean(), nullable=False),
        sa.Column('label', sa.String(length=100), nullable=False),
        sa.Column('created_by', sa.String(length=100), nullable=False),
        sa.Column('created_at', _UTC, nullable=False),
        sa.Column('revoked_at', _UTC, nullable=True),
        sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token_hash'),
    )
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_feeds_office_id'), ['office_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('calendar_feeds', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_feeds_office_id'))
    op.drop_table('calendar_feeds')
    with op.batch_alter_table('calendar_pushes', schema=None) as batch_op:
        batch_op.drop_index('ix_calendar_pushes_due')
    op.drop_table('calendar_pushes')
