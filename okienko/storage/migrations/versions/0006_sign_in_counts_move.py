"""Failed sign-ins are counted per account and client address in rate_limit_hits, not on the user.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

import okienko.storage.models


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A lock on the account itself let anyone lock a clerk out; the columns are no longer read.
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')


def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', okienko.storage.models.UTCDateTime(timezone=True), nullable=True))
