"""payout holds

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payout_hold',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('placed_by', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('placed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('until', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('released_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('released_by', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('release_note', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.ForeignKeyConstraint(['seller_id'], ['seller.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('payout_hold', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_hold_seller_id'), ['seller_id'], unique=False)

    with op.batch_alter_table('connected_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('normal_schedule', sa.JSON(), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('connected_account', schema=None) as batch_op:
        batch_op.drop_column('normal_schedule')

    with op.batch_alter_table('payout_hold', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_hold_seller_id'))

    op.drop_table('payout_hold')
