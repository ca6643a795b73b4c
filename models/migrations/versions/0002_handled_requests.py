"""handled Slack requests (retry-stable keys), so a Slack retry neither redoes work nor replies twice

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 02:40:00.000000
"""
import sqlalchemy as sa
from alembic import op

import models.base

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('handled_requests',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('handled_at', models.base.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_handled_requests'))
    )
    with op.batch_alter_table('handled_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handled_requests_handled_at'), ['handled_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('handled_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handled_requests_handled_at'))
    op.drop_table('handled_requests')
