"""A walk-in's mobile number for an SMS before its turn and when it is called: the `ticket_phones`
table (one row per ticket, UNIQUE; the two flags that make each SMS go once; the messages written;
erased when the ticket's day is over).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 14:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

import okienko.storage.models


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_UTC = okienko.storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'ticket_phones',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ticket_id', sa.String(length=32), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('office_day', sa.Date(), nullable=False),
        sa.Column('phone', sa.String(length=20), nullable=False),
        sa.Column('times_set', sa.Integer(), nullable=False),
        sa.Column('added_at', _UTC, nullable=False),
        sa.Column('near_sent_at', _UTC, nullable=True),
        sa.Column('called_sent_at', _UTC, nullable=True),
        sa.Column('near_message_id', sa.String(length=32), nullable=True),
        sa.Column('called_message_id', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
        sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('ticket_id', name='uq_ticket_phones_ticket'),
    )
    with op.batch_alter_table('ticket_phones', schema=None) as batch_op:
        batch_op.create_index('ix_ticket_phones_office_day', ['office_id', 'office_day'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('ticket_phones', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_phones_office_day')
    op.drop_table('ticket_phones')
