"""mirror freshness: external accounts' own moments, stale balances, disputes on the platform's charges

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('connected_account') as batch:
        batch.add_column(sa.Column('external_moments', sa.JSON(), nullable=False, server_default='{}'))
    with op.batch_alter_table('account_balance') as batch:
        batch.add_column(sa.Column('stale_since', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column('refresh_failed', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('dispute_record') as batch:
        batch.add_column(sa.Column('on_platform', sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table('dispute_record') as batch:
        batch.drop_column('on_platform')
    with op.batch_alter_table('account_balance') as batch:
        batch.drop_column('refresh_failed')
        batch.drop_column('stale_since')
    with op.batch_alter_table('connected_account') as batch:
        batch.drop_column('external_moments')
