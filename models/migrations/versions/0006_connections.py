"""connections: members' calendars and mailboxes, credentials sealed (issue 11)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 19:15:00.000000
"""
import sqlalchemy as sa
from alembic import op

import models.base

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('connections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('secret', sa.Text(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('cursor', sa.JSON(), nullable=False),
    sa.Column('next_check_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('last_synced_at', models.base.UTCDateTime(), nullable=True),
    sa.Column('status', sa.String(length=40), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('error_count', sa.Integer(), nullable=False),
    sa.Column('created_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_connections_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_connections'))
    )
    op.create_index(op.f('ix_connections_member_id'), 'connections', ['member_id'], unique=False)
    _upgrade_captures()


def _upgrade_captures() -> None:
    """The capture sync's link from a connection to the interactions it captured."""
    op.create_table('captures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('interaction_id', sa.Integer(), nullable=False),
    sa.Column('external_id', sa.Text(), nullable=False),
    sa.Column('occurrence', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_captures_connection_id_connections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interaction_id'], ['interactions.id'], name=op.f('fk_captures_interaction_id_interactions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_captures')),
    sa.UniqueConstraint('connection_id', 'interaction_id', name=op.f('uq_captures_connection_id_interaction_id'))
    )
    op.create_index(op.f('ix_captures_external_id'), 'captures', ['external_id'], unique=False)
    op.create_index(op.f('ix_captures_interaction_id'), 'captures', ['interaction_id'], unique=False)


def _downgrade_captures() -> None:
    op.drop_index(op.f('ix_captures_interaction_id'), table_name='captures')
    op.drop_index(op.f('ix_captures_external_id'), table_name='captures')
    op.drop_table('captures')


def downgrade() -> None:
    _downgrade_captures()
    op.drop_index(op.f('ix_connections_member_id'), table_name='connections')
    op.drop_table('connections')
