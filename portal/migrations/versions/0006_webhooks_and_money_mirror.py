"""webhook events and the money mirror

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account_balance',
    sa.Column('stripe_account_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('available', sa.JSON(), nullable=False),
    sa.Column('pending', sa.JSON(), nullable=False),
    sa.Column('as_of', sa.Float(), nullable=False),
    sa.Column('negative_since', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('stripe_account_id')
    )
    op.create_table('charge_record',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('stripe_account_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('charge_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_charge_record_stripe_account_id'), ['stripe_account_id'], unique=False)

    op.create_table('dispute_record',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('stripe_account_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('charge', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('due_by', sa.Integer(), nullable=True),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('dispute_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispute_record_stripe_account_id'), ['stripe_account_id'], unique=False)

    op.create_table('payout_record',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('stripe_account_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('arrival_date', sa.Integer(), nullable=True),
    sa.Column('failure_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('payout_record', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_record_stripe_account_id'), ['stripe_account_id'], unique=False)

    op.create_table('stripe_event',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('account', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('created', sa.Integer(), nullable=False),
    sa.Column('livemode', sa.Boolean(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('processed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('stripe_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stripe_event_account'), ['account'], unique=False)
        batch_op.create_index(batch_op.f('ix_stripe_event_type'), ['type'], unique=False)

    with op.batch_alter_table('connected_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('capabilities', sa.JSON(), nullable=False, server_default='{}'))
        batch_op.add_column(sa.Column('notified', sa.JSON(), nullable=False, server_default='[]'))



def downgrade() -> None:
    with op.batch_alter_table('connected_account', schema=None) as batch_op:
        batch_op.drop_column('notified')
        batch_op.drop_column('capabilities')

    with op.batch_alter_table('stripe_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stripe_event_type'))
        batch_op.drop_index(batch_op.f('ix_stripe_event_account'))

    op.drop_table('stripe_event')
    with op.batch_alter_table('payout_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_record_stripe_account_id'))

    op.drop_table('payout_record')
    with op.batch_alter_table('dispute_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispute_record_stripe_account_id'))

    op.drop_table('dispute_record')
    with op.batch_alter_table('charge_record', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_charge_record_stripe_account_id'))

    op.drop_table('charge_record')
    op.drop_table('account_balance')
