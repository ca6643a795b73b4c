"""suggestions: follow-ups and reminders, why a suggestion was dismissed, cadences set in Slack (issue 13)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:15:00.000000
"""
import sqlalchemy as sa
from alembic import op

import models.base

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain add_column (never batch_alter_table: on SQLite a table copy cascade-deletes child rows)
    op.add_column('suggestions', sa.Column('dismiss_reason', sa.String(length=20), nullable=True))
    op.add_column('customers', sa.Column('cadence_override_days', sa.Integer(), nullable=True))
    op.add_column('customers', sa.Column('cadence_override_base', sa.Integer(), nullable=True))
    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('member_user', sa.String(length=40), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_follow_ups_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_follow_ups_dedupe_key'))
    )
    op.create_index(op.f('ix_follow_ups_customer_id'), 'follow_ups', ['customer_id'], unique=False)
    op.create_index(op.f('ix_follow_ups_due_on'), 'follow_ups', ['due_on'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_follow_ups_due_on'), table_name='follow_ups')
    op.drop_index(op.f('ix_follow_ups_customer_id'), table_name='follow_ups')
    op.drop_table('follow_ups')
    op.drop_column('customers', 'cadence_override_base')
    op.drop_column('customers', 'cadence_override_days')
    op.drop_column('suggestions', 'dismiss_reason')
