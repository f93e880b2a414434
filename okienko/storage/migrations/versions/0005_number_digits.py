"""Ticket numbers of 3 or 4 digits per service (number_digits).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing services keep three digits (A001…A999), as before.
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number_digits', sa.Integer(), nullable=False, server_default='3'))


def downgrade() -> None:
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('number_digits')
