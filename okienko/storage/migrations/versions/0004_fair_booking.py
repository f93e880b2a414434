"""Fair booking: draws with published seeds, withheld freed places, case numbers, document countries.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 05:11:11.419180
"""
from alembic import op
import sqlalchemy as sa
import sqlmodel
import okienko.storage.models


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('open_cases',
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('case_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('loaded_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
    sa.PrimaryKeyConstraint('office_id', 'case_key')
    )
    op.create_table('draws',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('office_day', sa.Date(), nullable=False),
    sa.Column('opens_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closes_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('seed', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('commitment', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ran_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('places', sa.Integer(), nullable=False),
    sa.Column('entries', sa.Integer(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('service_id', 'office_day', name='uq_draws_service_day')
    )
    with op.batch_alter_table('draws', schema=None) as batch_op:
        batch_op.create_index('ix_draws_office_status', ['office_id', 'status', 'closes_at'], unique=False)

    op.create_table('withheld_places',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('place', sa.Integer(), nullable=False),
    sa.Column('freed_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('release_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('service_id', 'starts_at', 'place', name='uq_withheld_places_slot_place')
    )
    with op.batch_alter_table('withheld_places', schema=None) as batch_op:
        batch_op.create_index('ix_withheld_places_release', ['office_id', 'release_at'], unique=False)

    op.create_table('draw_entries',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('office_id', sa.Integer(), nullable=False),
    sa.Column('draw_id', sa.Integer(), nullable=False),
    sa.Column('service_id', sa.Integer(), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('person_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('person_name', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('document_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('document_masked', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
    sa.Column('document_country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('case_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('phone', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('preferences', sa.JSON(), nullable=False),
    sa.Column('confirm_code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('confirm_attempts', sa.Integer(), nullable=False),
    sa.Column('pending_expires_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('secret_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('ticket', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('rank', sa.Integer(), nullable=True),
    sa.Column('booking_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('created_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('entered_at', okienko.storage.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], ),
    sa.ForeignKeyConstraint(['draw_id'], ['draws.id'], ),
    sa.ForeignKeyConstraint(['office_id'], ['offices.id'], ),
    sa.ForeignKeyConstraint(['service_id'], ['services.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('draw_entries', schema=None) as batch_op:
        batch_op.create_index('ix_draw_entries_draw_status', ['draw_id', 'status'], unique=False)
        batch_op.create_index('uq_draw_entries_case', ['draw_id', 'case_key'], unique=True, sqlite_where=sa.text("status IN ('pending', 'entered') AND case_key IS NOT NULL"), postgresql_where=sa.text("status IN ('pending', 'entered') AND case_key IS NOT NULL"))
        batch_op.create_index('uq_draw_entries_person', ['draw_id', 'person_key'], unique=True, sqlite_where=sa.text("status IN ('pending', 'entered')"), postgresql_where=sa.text("status IN ('pending', 'entered')"))

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('case_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))
        batch_op.create_index('uq_bookings_case_service', ['service_id', 'case_key'], unique=True, sqlite_where=sa.text("status IN ('held', 'confirmed') AND case_key IS NOT NULL"), postgresql_where=sa.text("status IN ('held', 'confirmed') AND case_key IS NOT NULL"))

    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('case_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('waitlist_entries', schema=None) as batch_op:
        batch_op.drop_column('case_key')
        batch_op.drop_column('document_country')

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('uq_bookings_case_service', sqlite_where=sa.text("status IN ('held', 'confirmed') AND case_key IS NOT NULL"), postgresql_where=sa.text("status IN ('held', 'confirmed') AND case_key IS NOT NULL"))
        batch_op.drop_column('case_key')
        batch_op.drop_column('document_country')

    with op.batch_alter_table('draw_entries', schema=None) as batch_op:
        batch_op.drop_index('uq_draw_entries_person', sqlite_where=sa.text("status IN ('pending', 'entered')"), postgresql_where=sa.text("status IN ('pending', 'entered')"))
        batch_op.drop_index('uq_draw_entries_case', sqlite_where=sa.text("status IN ('pending', 'entered') AND case_key IS NOT NULL"), postgresql_where=sa.text("status IN ('pending', 'entered') AND case_key IS NOT NULL"))
        batch_op.drop_index('ix_draw_entries_draw_status')

    op.drop_table('draw_entries')
    with op.batch_alter_table('withheld_places', schema=None) as batch_op:
        batch_op.drop_index('ix_withheld_places_release')

    op.drop_table('withheld_places')
    with op.batch_alter_table('draws', schema=None) as batch_op:
        batch_op.drop_index('ix_draws_office_status')

    op.drop_table('draws')
    op.drop_table('open_cases')
