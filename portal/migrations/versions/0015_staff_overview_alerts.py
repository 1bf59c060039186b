"""staff overview: accounts' verified moment, daily state counts, alert thresholds and crossings

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

connected_account.verified_at is not backfilled: Stripe keeps no "verified since", so accounts
already verified have none, and the median wait counts only accounts the mirror sees verified from now on.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account_state_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('accounts', sa.Integer(), nullable=False),
    sa.Column('counted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'country', 'state')
    )
    op.create_table('alert_threshold',
    sa.Column('metric', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('above', sa.Float(), nullable=True),
    sa.Column('recipients', sa.JSON(), nullable=False),
    sa.Column('updated_by', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('metric')
    )
    op.create_table('staff_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('metric', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=True),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('open_key', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('cleared_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('mailed_to', sa.JSON(), nullable=False),
    sa.Column('acknowledged_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('acknowledged_by', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('acknowledgement', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('open_key')
    )
    with op.batch_alter_table('staff_alert', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_alert_metric'), ['metric'], unique=False)
        batch_op.create_index(batch_op.f('ix_staff_alert_opened_at'), ['opened_at'], unique=False)

    with op.batch_alter_table('connected_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('verified_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('connected_account', schema=None) as batch_op:
        batch_op.drop_column('verified_at')

    with op.batch_alter_table('staff_alert', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_alert_opened_at'))
        batch_op.drop_index(batch_op.f('ix_staff_alert_metric'))

    op.drop_table('staff_alert')
    op.drop_table('alert_threshold')
    op.drop_table('account_state_day')
