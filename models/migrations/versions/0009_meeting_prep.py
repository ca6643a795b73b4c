"""meeting prep and new contacts: upcoming meetings with customers, unlisted people at their companies

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 20:15:00.000000
"""
import sqlalchemy as sa
from alembic import op

import models.base

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the upcoming meetings and new contacts tables."""
    op.create_table('upcoming_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('connection_id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.Text(), nullable=False),
    sa.Column('occurrence', sa.String(length=64), nullable=False),
    sa.Column('starts_at', models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['connection_id'], ['connections.id'], name=op.f('fk_upcoming_meetings_connection_id_connections'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], name=op.f('fk_upcoming_meetings_customer_id_customers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upcoming_meetings')),
    sa.UniqueConstraint('connection_id', 'customer_id', 'uid', 'occurrence', name=op.f('uq_upcoming_meetings_connection_id_customer_id_uid_occurrence'))
    )
    op.create_index(op.f('ix_upcoming_meetings_connection_id'), 'upcoming_meetings', ['connection_id'], unique=False)
    op.create_index(op.f('ix_upcoming_meetings_customer_id'), 'upcoming_meetings', ['customer_id'], unique=False)
    op.create_index(op.f('ix_upcoming_meetings_starts_at'), 'upcoming_meetings', ['starts_at'], unique=False)
    op.create_table('new_contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('address', sa.String(length=254), nullable=False),
    sa.Column('company', sa.String(length=200), nullable=False),
    sa.Column('first_seen_at', models.base.UTCDateTime(), nullable=False),
    sa.Column('reported_at', models.base.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_new_contacts_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_new_contacts')),
    sa.UniqueConstraint('team_id', 'address', name=op.f('uq_new_contacts_team_id_address'))
    )
    op.create_index(op.f('ix_new_contacts_team_id'), 'new_contacts', ['team_id'], unique=False)


def downgrade() -> None:
    """Drop them."""
    op.drop_index(op.f('ix_new_contacts_team_id'), table_name='new_contacts')
    op.drop_table('new_contacts')
    op.drop_index(op.f('ix_upcoming_meetings_starts_at'), table_name='upcoming_meetings')
    op.drop_index(op.f('ix_upcoming_meetings_customer_id'), table_name='upcoming_meetings')
    op.drop_index(op.f('ix_upcoming_meetings_connection_id'), table_name='upcoming_meetings')
    op.drop_table('upcoming_meetings')
