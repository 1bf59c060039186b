"""account creation: a pending record per seller, so a lost answer never makes a second account

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('account_creation',
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('first_tried_at', sa.Float(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['seller_id'], ['seller.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seller_id')
    )


def downgrade() -> None:
    op.drop_table('account_creation')
