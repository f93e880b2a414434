"""`outbox_messages.resent_as`: an SMS the gateway reported undelivered counts as failed until a
manager sends it again; the resend is a new message (a new id, so the gateway's reports on the
two never mix) and the old one keeps the new one's id, which also makes it resent only once.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 14:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resent_as', sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('resent_as')
