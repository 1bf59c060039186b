"""stripe_event_payload: what each event says, apart from its row in the applier's queue (issue 15)

The queue's row is rewritten when the event is claimed and when it is finished; with the body in
it (a few KB) each row filled a page of its own, and each rewrite wrote that page again.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


# SQLite rebuilds a table to drop a column (batch mode), and dropping the old table deletes what
# refers to it ON DELETE CASCADE, so the payloads' reference to their event is added only once
# stripe_event is rebuilt, and taken away before it is rebuilt again.
FOREIGN_KEY = 'stripe_event_payload_id_fkey'


def upgrade() -> None:
    op.create_table(
        'stripe_event_payload',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.execute("INSERT INTO stripe_event_payload (id, payload) SELECT id, payload FROM stripe_event")
    with op.batch_alter_table('stripe_event', schema=None) as batch_op:
        batch_op.drop_column('payload')
    with op.batch_alter_table('stripe_event_payload', schema=None) as batch_op:
        batch_op.create_foreign_key(FOREIGN_KEY, 'stripe_event', ['id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    op.add_column('stripe_event', sa.Column('payload', sa.JSON(), nullable=False, server_default='{}'))
    op.execute("UPDATE stripe_event SET payload = (SELECT stripe_event_payload.payload FROM stripe_event_payload "
               "WHERE stripe_event_payload.id = stripe_event.id) "
               "WHERE id IN (SELECT id FROM stripe_event_payload)")
    op.drop_table('stripe_event_payload')
    with op.batch_alter_table('stripe_event', schema=None) as batch_op:
        batch_op.alter_column('payload', server_default=None)
