"""The back office: one date's own hours, the audit log, devices' last heartbeat, password resets
and the per-language lines for visitors (ticker, kiosk message).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 18:00:00.000000
"""
from alembic import op
import sqlalchemy as sa

import okienko.storage.models


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

_UTC = okienko.storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'day_hours',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('service_id', sa.Integer(), nullable=True),
        sa.Column('ranges', sa.JSON(), nullable=False),
        sa.Column('walk_in', sa.Boolean(), nullable=False),
        sa.Column('booking', sa.Boolean(), nullable=False),
        sa.Column('reason', sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
        sa.ForeignKeyConstraint(['service_id'], ['services.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('day_hours', schema=None) as batch_op:
        batch_op.create_index('ix_day_hours_office_day', ['office_id', 'day'], unique=False)
        batch_op.create_index('uq_day_hours_office', ['office_id', 'day'], unique=True,
                              sqlite_where=sa.text("service_id IS NULL"),
                              postgresql_where=sa.text("service_id IS NULL"))
        batch_op.create_index('uq_day_hours_service', ['office_id', 'day', 'service_id'], unique=True,
                              sqlite_where=sa.text("service_id IS NOT NULL"),
                              postgresql_where=sa.text("service_id IS NOT NULL"))
    op.create_table(
        'audit_log',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('office_id', sa.Integer(), nullable=True),
        sa.Column('at', _UTC, nullable=False),
        sa.Column('actor', sa.String(length=100), nullable=False),
        sa.Column('action', sa.String(length=60), nullable=False),
        sa.Column('target', sa.String(length=200), nullable=False),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_office_at', ['office_id', 'at'], unique=False)
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', _UTC, nullable=True))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('must_change_password', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('notices', sa.JSON(), nullable=False, server_default='{}'))


def downgrade() -> None:
    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.drop_column('notices')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('must_change_password')
    with op.batch_alter_table('devices', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_office_at')
    op.drop_table('audit_log')
    with op.batch_alter_table('day_hours', schema=None) as batch_op:
        batch_op.drop_index('uq_day_hours_service', sqlite_where=sa.text("service_id IS NOT NULL"),
                            postgresql_where=sa.text("service_id IS NOT NULL"))
        batch_op.drop_index('uq_day_hours_office', sqlite_where=sa.text("service_id IS NULL"),
                            postgresql_where=sa.text("service_id IS NULL"))
        batch_op.drop_index('ix_day_hours_office_day')
    op.drop_table('day_hours')
