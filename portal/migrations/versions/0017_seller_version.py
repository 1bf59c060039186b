"""seller_version: a number per seller the database raises on every change to what a kept page shows (issue 15)

Its triggers are installed by Database.migrate after the migrations, on every start
(portal/kept_pages.py), so a later migration that rebuilds a table cannot leave one out.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'seller_version',
        sa.Column('seller_id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('seller_id'),
    )


def downgrade() -> None:
    from portal import kept_pages

    kept_pages.uninstall(op.get_bind())
    op.drop_table('seller_version')
