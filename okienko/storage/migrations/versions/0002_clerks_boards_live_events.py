"""clerks boards and live events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 09:33:55.725662
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import okienko.storage.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('staff_sessions',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('csrf_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_sessions_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('recalls_before_no_show', sa.Integer(), nullable=False, server_default='1'))
        batch_op.add_column(sa.Column('transfer_position', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default='end'))
        batch_op.add_column(sa.Column('ticker', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False, server_default=''))

    # Events recorded before boards existed get their row id as sequence number, and each
    # office's event counter continues from there.
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seq', sa.Integer(), nullable=True))
    op.execute("UPDATE ticket_events SET seq = id")
    op.execute("INSERT INTO counters (name, value) SELECT 'events/' || office_id, MAX(id) FROM ticket_events "
               "GROUP BY office_id")
    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.alter_column('seq', existing_type=sa.Integer(), nullable=False)
        batch_op.alter_column('ticket_id',
               existing_type=sa.VARCHAR(length=32),
               nullable=True)
        batch_op.drop_index(batch_op.f('ix_ticket_events_office'))
        batch_op.create_unique_constraint('uq_ticket_events_office_id_seq', ['office_id', 'seq'])

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('appointment_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_logins', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('locked_until', okienko.storage.models.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('windows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paused', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('clerk_session_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.add_column(sa.Column('held_until', okienko.storage.models.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint('uq_windows_clerk_session_id', ['clerk_session_id'])



def downgrade() -> None:
    with op.batch_alter_table('windows', schema=None) as batch_op:
        batch_op.drop_constraint('uq_windows_clerk_session_id', type_='unique')
        batch_op.drop_column('held_until')
        batch_op.drop_column('clerk_session_id')
        batch_op.drop_column('paused')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_logins')

    with op.batch_alter_table('tickets', schema=None) as batch_op:
        batch_op.drop_column('appointment_at')

    with op.batch_alter_table('ticket_events', schema=None) as batch_op:
        batch_op.drop_constraint('uq_ticket_events_office_id_seq', type_='unique')
        batch_op.create_index(batch_op.f('ix_ticket_events_office'), ['office_id', 'id'], unique=False)
        batch_op.alter_column('ticket_id',
               existing_type=sa.VARCHAR(length=32),
               nullable=False)
        batch_op.drop_column('seq')

    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.drop_column('ticker')
        batch_op.drop_column('transfer_position')
        batch_op.drop_column('recalls_before_no_show')

    with op.batch_alter_table('staff_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_sessions_user_id'))

    op.drop_table('staff_sessions')
