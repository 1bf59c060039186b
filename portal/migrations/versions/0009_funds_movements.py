"""funds movements

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('funds_movement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('stripe_account_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('amount', sa.Integer(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=350), nullable=False),
    sa.Column('form_token', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('needs_approval', sa.Boolean(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_by_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('requested_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('decided_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('decline_reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('stripe_transfer_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('failure_code', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('failure_message', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('balance_before', sa.Integer(), nullable=True),
    sa.Column('balance_after', sa.Integer(), nullable=True),
    sa.Column('executed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('form_token')
    )
    with op.batch_alter_table('funds_movement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_funds_movement_seller_id'), ['seller_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_funds_movement_state'), ['state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('funds_movement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_funds_movement_state'))
        batch_op.drop_index(batch_op.f('ix_funds_movement_seller_id'))

    op.drop_table('funds_movement')
