"""conversations: Slack Connect and social replies (issue 12)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 19:15:00.000000
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import models.base  # noqa: F401

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    upgrade_slack_connect()


def downgrade() -> None:
    downgrade_slack_connect()


def upgrade_slack_connect() -> None:
    """Slack Connect: which listed customer users were seen posting in which channel."""
    op.create_table('slack_connect_sightings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=40), nullable=False),
    sa.Column('slack_user', sa.String(length=40), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('last_seen_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_slack_connect_sightings_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_slack_connect_sightings')),
    sa.UniqueConstraint('channel', 'slack_user', 'customer_id', name=op.f('uq_slack_connect_sightings_channel_slack_user_customer_id'))
    )
    op.create_index(op.f('ix_slack_connect_sightings_channel'), 'slack_connect_sightings', ['channel'], unique=False)
    op.create_index(op.f('ix_slack_connect_sightings_customer_id'), 'slack_connect_sightings', ['customer_id'], unique=False)


def downgrade_slack_connect() -> None:
    op.drop_index(op.f('ix_slack_connect_sightings_customer_id'), table_name='slack_connect_sightings')
    op.drop_index(op.f('ix_slack_connect_sightings_channel'), table_name='slack_connect_sightings')
    op.drop_table('slack_connect_sightings')
