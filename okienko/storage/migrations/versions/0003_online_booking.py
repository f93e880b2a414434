"""Online booking: bookings bound to a person, their events, waiting lists, rate limits, the outbox.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 12:12:45.926643
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import okienko.storage.models


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rate_limit_hits',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('window_start', okienko.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('key', 'window_start')
    )
    op.create_table('outbox_messages',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('recipient', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('calendar', sa.LargeBinary(), nullable=True),
    sa.Column('calendar_method', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=True),
    sa.Column('created_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_attempt_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_until', okienko.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.create_index('ix_outbox_pending', ['sent_at', 'next_attempt_at'], unique=False)

    op.create_table('waitlist_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('person_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('person_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('document_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('document_masked', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('joined_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.create_index('ix_waitlist_service_status', ['service_id', 'status', 'joined_at'], unique=False)
        batch_op.create_index('uq_waitlist_person_service', ['service_id', 'person_key'], unique=True, sqlite_where=sa.text("status IN ('waiting', 'offered')"), postgresql_where=sa.text("status IN ('waiting', 'offered')"))

    op.create_table('bookings',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('office_day', sa.Date(), nullable=False),
    sa.Column('starts_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ends_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('place', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('person_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('person_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('document_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('document_masked', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('confirm_code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('confirm_attempts', sa.Integer(), nullable=False),
    sa.Column('hold_expires_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('flag', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('waitlist_entry_id', sa.Integer(), nullable=True),
    sa.Column('ticket_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('created_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], ),
    sa.ForeignKeyConstraint(['ticket_id'], ['tickets.id'], ),
    sa.ForeignKeyConstraint(['waitlist_entry_id'], ['waitlist_entries.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('office_id', 'code', name='uq_bookings_office_id_code')
    )
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_office_day', ['office_id', 'office_day', 'status'], unique=False)
        batch_op.create_index('ix_bookings_slot', ['service_id', 'starts_at', 'status'], unique=False)
        batch_op.create_index('uq_bookings_person_service', ['service_id', 'person_key'], unique=True, sqlite_where=sa.text("status IN ('held', 'confirmed')"), postgresql_where=sa.text("status IN ('held', 'confirmed')"))
        batch_op.create_index('uq_bookings_slot_place', ['service_id', 'starts_at', 'place'], unique=True, sqlite_where=sa.text("status IN ('held', 'confirmed')"), postgresql_where=sa.text("status IN ('held', 'confirmed')"))

    op.create_table('booking_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('at', okienko.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], ),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_booking_events_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index('ix_booking_events_office_at', ['office_id', 'at'], unique=False)

    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booking_policy', sa.JSON(), nullable=False, server_default='{}'))

    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.add_column(sa.Column('booking', sa.JSON(), nullable=False, server_default='{}'))



def downgrade() -> None:
    with op.batch_alter_table('services', schema=None) as batch_op:
        batch_op.drop_column('booking')

    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.drop_column('booking_policy')

    with op.batch_alter_table('booking_events', schema=None) as batch_op:
        batch_op.drop_index('ix_booking_events_office_at')
        batch_op.drop_index(batch_op.f('ix_booking_events_booking_id'))

    op.drop_table('booking_events')
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('uq_bookings_slot_place', sqlite_where=sa.text("status IN ('held', 'confirmed')"), postgresql_where=sa.text("status IN ('held', 'confirmed')"))
        batch_op.drop_index('uq_bookings_person_service', sqlite_where=sa.text("status IN ('held', 'confirmed')"), postgresql_where=sa.text("status IN ('held', 'confirmed')"))
        batch_op.drop_index('ix_bookings_slot')
        batch_op.drop_index('ix_bookings_office_day')

    op.drop_table('bookings')
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.drop_index('uq_waitlist_person_service', sqlite_where=sa.text("status IN ('waiting', 'offered')"), postgresql_where=sa.text("status IN ('waiting', 'offered')"))
        batch_op.drop_index('ix_waitlist_service_status')

    op.drop_table('waitlist_entries')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending')

    op.drop_table('outbox_messages')
    op.drop_table('rate_limit_hits')
