"""Reminders before a visit: one row per booking, visit time and hours ahead, UNIQUE so that
several server processes write each reminder once. And `outbox_messages.failed_at`: a message
given up after its last attempt is marked failed, not dropped silently; and what the SMS gateway's
delivery report said of a message (`delivery`, `delivery_at`).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

import okienko.storage.models


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_UTC = okienko.storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'booking_reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('booking_id', sa.String(length=32), nullable=False),
        sa.Column('starts_at', _UTC, nullable=False),
        sa.Column('hours', sa.Integer(), nullable=False),
        sa.Column('written_at', _UTC, nullable=False),
        sa.Column('message_id', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('booking_id', 'starts_at', 'hours', name='uq_booking_reminders_once'),
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_at', _UTC, nullable=True))
        batch_op.add_column(sa.Column('delivery', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('delivery_at', _UTC, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('delivery_at')
        batch_op.drop_column('delivery')
        batch_op.drop_column('failed_at')
    op.drop_table('booking_reminders')
