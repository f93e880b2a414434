"""The board's ticker becomes one of the office's per-language notices: `offices.ticker` is copied
into `notices["ticker"]["pl"]` and dropped.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 19:00:00.000000
"""
import json

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_OFFICES = sa.table('offices', sa.column('id', sa.Integer), sa.column('ticker', sa.String),
                    sa.column('notices', sa.JSON))


def _as_dict(value: object) -> dict:
    if isinstance(value, str):   # some drivers hand JSON back as text
        value = json.loads(value or "{}")
    return dict(value or {})


def upgrade() -> None:
    connection = op.get_bind()
    for office_id, ticker, notices in connection.execute(sa.select(_OFFICES.c.id, _OFFICES.c.ticker,
                                                                   _OFFICES.c.notices)).all():
        if ticker:
            notices = _as_dict(notices)
            notices["ticker"] = {**dict(notices.get("ticker") or {}), "pl": ticker}
            connection.execute(sa.update(_OFFICES).where(_OFFICES.c.id == office_id).values(notices=notices))
    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.drop_column('ticker')


def downgrade() -> None:
    with op.batch_alter_table('offices', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ticker', sa.String(length=500), nullable=False, server_default=''))
    connection = op.get_bind()
    for office_id, notices in connection.execute(sa.select(_OFFICES.c.id, _OFFICES.c.notices)).all():
        ticker = dict(_as_dict(notices).get("ticker") or {})
        text = ticker.get("pl") or next((line for line in ticker.values() if line), "")
        if text:
            connection.execute(sa.update(_OFFICES).where(_OFFICES.c.id == office_id).values(ticker=text[:500]))
