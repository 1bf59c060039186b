"""the event table is the webhook applier's queue: when each event is due, who claims it, attempts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06

Events stored by earlier versions but never applied (an empty outcome) become due at once.
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('stripe_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_at', sa.Float(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('claim', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.create_index('ix_stripe_event_unapplied', ['outcome', 'due_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('stripe_event', schema=None) as batch_op:
        batch_op.drop_index('ix_stripe_event_unapplied')
        batch_op.drop_column('attempts')
        batch_op.drop_column('claim')
        batch_op.drop_column('due_at')
