"""Statistics and archiving: who was seated at the window of each ticket event (`ticket_events.clerk_id`),
the day summaries a period's report reads (`stats_days`), and the archive tables old tickets and their
events move to (`archived_tickets`, `archived_ticket_events`; never deleted).

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 15:40:00.000000
"""
from alembic import op
import sqlalchemy as sa

import okienko.storage.models


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

_UTC = okienko.storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clerk_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key('fk_ticket_events_clerk_id_users', 'users', ['clerk_id'], ['id'])
    op.create_table(
        'stats_days',
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('made_at', _UTC, nullable=False),
        sa.Column('summary', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
        sa.PrimaryKeyConstraint('office_id', 'day'),
    )
    op.create_table(
        'archived_tickets',
        sa.Column('id', sa.String(length=32), nullable=False, autoincrement=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('office_day', sa.Date(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=False),
        sa.Column('prefix', sa.String(length=3), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('number', sa.String(length=8), nullable=False),
        sa.Column('priority', sa.String(length=40), nullable=True),
        sa.Column('language', sa.String(length=8), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('device_id', sa.Integer(), nullable=True),
        sa.Column('window_id', sa.Integer(), nullable=True),
        sa.Column('issued_at', _UTC, nullable=False),
        sa.Column('queued_at', _UTC, nullable=False),
        sa.Column('called_at', _UTC, nullable=True),
        sa.Column('started_at', _UTC, nullable=True),
        sa.Column('finished_at', _UTC, nullable=True),
        sa.Column('recalls', sa.Integer(), nullable=False),
        sa.Column('appointment_at', _UTC, nullable=True),
        sa.Column('booking_id', sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_archived_tickets_office_id_office_day', 'archived_tickets', ['office_id', 'office_day'])
    op.create_table(
        'archived_ticket_events',
        sa.Column('id', sa.Integer(), nullable=False, autoincrement=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.String(length=32), nullable=True),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('at', _UTC, nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=True),
        sa.Column('window_id', sa.Integer(), nullable=True),
        sa.Column('detail', sa.JSON(), nullable=False),
        sa.Column('clerk_id', sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_archived_ticket_events_ticket_id', 'archived_ticket_events', ['ticket_id'])


def downgrade() -> None:
    op.drop_index('ix_archived_ticket_events_ticket_id', table_name='archived_ticket_events')
    op.drop_table('archived_ticket_events')
    op.drop_index('ix_archived_tickets_office_id_office_day', table_name='archived_tickets')
    op.drop_table('archived_tickets')
    op.drop_table('stats_days')
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_constraint('fk_ticket_events_clerk_id_users', type_='foreignkey')
        batch_op.drop_column('clerk_id')
