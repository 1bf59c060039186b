"""negative balance notices

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('negative_balance_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('stripe_account_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('negative_since', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('day', sa.Integer(), nullable=False),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('stripe_account_id', 'negative_since', 'day')
    )
    with op.batch_alter_table('negative_balance_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_negative_balance_notice_stripe_account_id'), ['stripe_account_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('negative_balance_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_negative_balance_notice_stripe_account_id'))

    op.drop_table('negative_balance_notice')
