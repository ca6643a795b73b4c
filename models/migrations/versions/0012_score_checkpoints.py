"""score input changes: a log, per customer, of changes to what the model reads, kept by triggers

A scoring process keeps each relationship's replay between passes and replays from the first
interaction only the customers whose count of changes moved (see models/entities_scoring.py and
docs/scoring.md). Triggers write the log, so every writer of interactions and posts is seen:
the stores, bulk imports, captures, cascading deletes. Writers only insert into it, so they never
wait on one another.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 21:50:00.000000
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

# what each table's rows say that the model reads: a change to anything else needs no replay
_WATCHED = {'interactions': 'customer_id, occurred_at, kind, direction', 'posts': 'customer_id, published_at'}
_LOG = "INSERT INTO score_input_changes (customer_id) VALUES ({row}.customer_id);"
_EVENTS = {'insert': ('INSERT', ('NEW',)), 'delete': ('DELETE', ('OLD',)), 'update': ('UPDATE OF {columns}', ('OLD', 'NEW'))}


def upgrade() -> None:
    """The log, and the triggers that write it on every change to interactions and posts."""
    op.create_table(
        'score_input_changes',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('weight', sa.BigInteger(), server_default='1', nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_score_input_changes_customer', 'score_input_changes', ['customer_id'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(
            "CREATE FUNCTION strongtie_score_input_changed() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            "BEGIN\n"
            f"  IF TG_OP <> 'INSERT' THEN {_LOG.format(row='OLD')} END IF;\n"
            f"  IF TG_OP <> 'DELETE' THEN {_LOG.format(row='NEW')} END IF;\n"
            "  RETURN NULL;\n"
            "END $$")
        for table, columns in _WATCHED.items():
            op.execute(f"CREATE TRIGGER {table}_score_input AFTER INSERT OR DELETE OR UPDATE OF {columns} "
                       f"ON {table} FOR EACH ROW EXECUTE FUNCTION strongtie_score_input_changed()")
        return
    for table, columns in _WATCHED.items():
        for name, (event, rows) in _EVENTS.items():
            body = " ".join(_LOG.format(row=row) for row in rows)
            op.execute(f"CREATE TRIGGER {table}_score_input_{name} AFTER {event.format(columns=columns)} "
                       f"ON {table} FOR EACH ROW BEGIN {body} END")


def downgrade() -> None:
    """Drop the triggers, then the log."""
    if op.get_bind().dialect.name == 'postgresql':
        for table in _WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_score_input ON {table}")
        op.execute("DROP FUNCTION IF EXISTS strongtie_score_input_changed()")
    else:
        for table in _WATCHED:
            for name in _EVENTS:
                op.execute(f"DROP TRIGGER IF EXISTS {table}_score_input_{name}")
    op.drop_index('ix_score_input_changes_customer', table_name='score_input_changes')
    op.drop_table('score_input_changes')
