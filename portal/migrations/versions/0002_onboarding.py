"""onboarding drafts, people, business email, account mirror

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('business_email',
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('email', sqlmodel.sql.sqltypes.AutoString(length=254), nullable=False),
    sa.Column('website', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('email_domain', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('website_domain', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('on_business_domain', sa.Boolean(), nullable=False),
    sa.Column('free_mail', sa.Boolean(), nullable=False),
    sa.Column('disposable', sa.Boolean(), nullable=False),
    sa.Column('confirmed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['seller_id'], ['seller.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seller_id')
    )
    op.create_table('connected_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('stripe_account_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('snapshot_at', sa.Float(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['seller_id'], ['seller.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('seller_id')
    )
    with op.batch_alter_table('connected_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connected_account_stripe_account_id'), ['stripe_account_id'], unique=True)

    op.create_table('onboarding_draft',
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('country', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
    sa.Column('business_type', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('sent', sa.JSON(), nullable=False),
    sa.Column('tos_accepted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['seller_id'], ['seller.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('seller_id')
    )
    op.create_table('onboarding_person',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seller_id', sa.Integer(), nullable=False),
    sa.Column('stripe_person_id', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('sent_key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['seller_id'], ['seller.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('stripe_person_id')
    )
    with op.batch_alter_table('onboarding_person', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_onboarding_person_seller_id'), ['seller_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('onboarding_person', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_onboarding_person_seller_id'))

    op.drop_table('onboarding_person')
    op.drop_table('onboarding_draft')
    with op.batch_alter_table('connected_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_connected_account_stripe_account_id'))

    op.drop_table('connected_account')
    op.drop_table('business_email')
