"""Information Saturdays: the `events` table (a date, its hours, titles and descriptions per
language, the services offered and when their booking opens; at most one event that is not
cancelled per office and date, a partial UNIQUE index), and `services.event_only` for the services
offered only on the days of the events that list them.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 13:30:00.000000
"""
from alembic import op
import sqlalchemy as sa

import okienko.storage.models


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_UTC = okienko.storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('opens_minute', sa.Integer(), nullable=False),
        sa.Column('closes_minute', sa.Integer(), nullable=False),
        sa.Column('titles', sa.JSON(), nullable=False),
        sa.Column('descriptions', sa.JSON(), nullable=False),
        sa.Column('services', sa.JSON(), nullable=False),
        sa.Column('booking_opens_at', _UTC, nullable=True),
        sa.Column('status', sa.String(length=12), nullable=False),
        sa.Column('sequence', sa.Integer(), nullable=False),
        sa.Column('created_at', _UTC, nullable=False),
        sa.Column('updated_at', _UTC, nullable=False),
        sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_office_day', ['office_id', 'day'], unique=False)
        batch_op.create_index('uq_events_office_day', ['office_id', 'day'], unique=True,
                              sqlite_where=sa.text("status != 'cancelled'"),
                              postgresql_where=sa.text("status != 'cancelled'"))
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('event_only', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('event_only')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('uq_events_office_day', sqlite_where=sa.text("status != 'cancelled'"),
                            postgresql_where=sa.text("status != 'cancelled'"))
        batch_op.drop_index('ix_events_office_day')
    op.drop_table('events')
