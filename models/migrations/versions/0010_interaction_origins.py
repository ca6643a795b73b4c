"""interaction origins as the contract names them: a Done click is ``button``, an import ``csv``

Rows stored before the origins were settled said ``suggestion`` (a Done click), ``import`` (a CSV)
or ``demo`` (the demo's sample history, loaded as an import).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 20:15:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_RENAMED = {'suggestion': 'button', 'import': 'csv', 'demo': 'csv'}


def upgrade() -> None:
    interactions = sa.table('interactions', sa.column('origin', sa.String))
    for old, new in _RENAMED.items():
        op.execute(interactions.update().where(interactions.c.origin == old).values(origin=new))


def downgrade() -> None:
    interactions = sa.table('interactions', sa.column('origin', sa.String))
    op.execute(interactions.update().where(interactions.c.origin == 'button').values(origin='suggestion'))
