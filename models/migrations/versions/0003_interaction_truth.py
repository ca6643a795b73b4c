"""interaction truth: batches, who logged a row, exact time (issue 10)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 18:40:00.000000

- ``interactions.batch``: the import a row came from, so ``strongtie interactions delete --batch``
  can take a whole CSV back.
- ``interactions.logged_by``: the Slack member who recorded a row through Slack, so ``/tie undo``
  finds "the last thing I logged" (``by_user`` is who had the interaction, which the command line
  may set for someone else), indexed with ``created_at`` for its "in the last 24 hours".
Exact time needs no schema change: the loader already reads exact microseconds.
"""
import sqlalchemy as sa
from alembic import op

import models.base  # noqa: F401

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add interactions.batch and interactions.logged_by, each indexed for its look-up."""
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('batch', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('logged_by', sa.String(length=40), nullable=True))
        batch_op.create_index(batch_op.f('ix_interactions_batch'), ['batch'], unique=False)
        batch_op.create_index('ix_interactions_logged_by_created', ['logged_by', 'created_at'], unique=False)


def downgrade() -> None:
    """Drop the two columns and their indexes."""
    with op.batch_alter_table('interactions', schema=None) as batch_op:
        batch_op.drop_index('ix_interactions_logged_by_created')
        batch_op.drop_index(batch_op.f('ix_interactions_batch'))
        batch_op.drop_column('logged_by')
        batch_op.drop_column('batch')
