"""account closure

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account_closure',
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('stripe_account_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('requested_by', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('erase_after', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('erased_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['seller_id'], ['seller.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seller_id')
    )
    with op.batch_alter_table('account_closure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_closure_erase_after'), ['erase_after'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('account_closure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_closure_erase_after'))

    op.drop_table('account_closure')
