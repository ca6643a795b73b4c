"""replay checkpoints for incremental scoring (filled in by the scoring work)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 21:50:00.000000
"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
