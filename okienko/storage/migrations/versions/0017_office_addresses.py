"""Each office's own public address (`offices.public_url`, the office file's `[office] public_url`)
and the host names its visitors reach it by (`offices.hosts`): several offices in one installation,
each with its own booking site, kiosks and boards. Offices already there keep the installation's
address (empty: OKIENKO_PUBLIC_URL) and no host of their own.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 15:45:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public_url', sa.String(length=300), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('hosts', sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.drop_column('hosts')
        batch_op.drop_column('public_url')
