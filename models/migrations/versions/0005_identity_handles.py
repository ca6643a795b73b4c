"""identity handles: the addresses and ids captured contact is attributed by (issues 11-14)

customers.emails, customers.slack_users, customers.cadence_days; members.email, members.aliases,
members.bluesky, members.mastodon; teams.workspace.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 19:20:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

# Plain ADD COLUMN only, never a batch (table-copying) operation: on SQLite, dropping the old copy
# of teams or customers with foreign keys on would cascade-delete their members and history.
_COLUMNS = {
    'customers': [
        sa.Column('emails', sa.JSON(), nullable=False, server_default='[]'),
        sa.Column('slack_users', sa.JSON(), nullable=False, server_default='[]'),
        sa.Column('cadence_days', sa.Integer(), nullable=True),
    ],
    'members': [
        sa.Column('email', sa.String(length=254), nullable=True),
        sa.Column('aliases', sa.JSON(), nullable=False, server_default='[]'),
        sa.Column('bluesky', sa.String(length=254), nullable=True),
        sa.Column('mastodon', sa.String(length=254), nullable=True),
    ],
    'teams': [
        sa.Column('workspace', sa.String(length=40), nullable=True),
    ],
}


def upgrade() -> None:
    for table, columns in _COLUMNS.items():
        for column in columns:
            op.add_column(table, column)


def downgrade() -> None:
    for table, columns in _COLUMNS.items():
        for column in reversed(columns):
            op.drop_column(table, column.name)
