"""The languages the boards take turns in and speak (`offices.board_languages`, the office file's
`[office] board_languages`): Polish and English for the offices there are, as the boards showed before.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 14:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('board_languages', sa.JSON(), nullable=False,
                                      server_default=sa.text("'[\"pl\", \"en\"]'")))


def downgrade() -> None:
    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.drop_column('board_languages')
