"""hardening: stale claims, membership (issue 15)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 18:40:00.000000
"""
import unicodedata

import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

import models.base  # noqa: F401

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    _roster_identity_upgrade()
    # suggestions.claimed_at: when a DM was claimed, so a claim left by a crash can be recovered
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', models.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    _roster_identity_downgrade()
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.drop_column('claimed_at')


# --- roster identity: teams.name_key, teams.in_roster, customers' keys by the current name_key ---


def _name_key(name: str) -> str:
    """config.names.name_key as of this revision (frozen here: a migration must not change with it)."""
    text = unicodedata.normalize("NFKC", name)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    text = " ".join(text.strip().strip("\"'“”‘’").split()).casefold()
    return unicodedata.normalize("NFKC", text)


def _unique_keys(rows, *, keeper) -> dict[int, str]:
    """id -> key for rows of (id, name, ...) within one scope; when names now share a key, the row
    ``keeper`` picks keeps it and the others get ``<key> #<id>`` (they stay readable by id, and a
    roster naming them again matches the keeper)."""
    groups: dict[str, list] = {}
    for row in rows:
        groups.setdefault(_name_key(row[1]), []).append(row)
    keys = {}
    for key, group in groups.items():
        kept = keeper(group)
        for row in group:
            keys[row[0]] = key if row is kept else f"{key} #{row[0]}"[:200]
    return keys


def _roster_identity_upgrade() -> None:
    # No batch (table-copying) operation on teams: on SQLite, dropping the old copy of a table with
    # foreign keys on deletes every member and customer by ON DELETE CASCADE. Plain ADD COLUMN
    # (string defaults, so SQLite adds the column in place) and CREATE UNIQUE INDEX instead.
    op.add_column('teams', sa.Column('name_key', sa.String(length=200), nullable=False, server_default=''))
    op.add_column('teams', sa.Column('in_roster', sa.Boolean(), nullable=False, server_default='1'))
    bind = op.get_bind()
    teams = sa.table('teams', sa.column('id', sa.Integer), sa.column('name', sa.String), sa.column('name_key', sa.String),
                     sa.column('in_roster', sa.Boolean))
    customers = sa.table('customers', sa.column('id', sa.Integer), sa.column('team_id', sa.Integer),
                         sa.column('name', sa.String), sa.column('name_key', sa.String),
                         sa.column('in_roster', sa.Boolean))
    members = sa.table('members', sa.column('team_id', sa.Integer), sa.column('active', sa.Boolean))
    # A team the roster no longer listed had every customer retired and every member deactivated.
    listed = set(bind.scalars(sa.select(customers.c.team_id).where(customers.c.in_roster.is_(True))))
    listed |= set(bind.scalars(sa.select(members.c.team_id).where(members.c.active.is_(True))))
    team_rows = bind.execute(sa.select(teams.c.id, teams.c.name)).all()
    # Of teams whose names now compare equal, the newest still listed keeps the name.
    for team_id, key in _unique_keys(team_rows, keeper=lambda g: max(g, key=lambda r: (r[0] in listed, r[0]))).items():
        bind.execute(teams.update().where(teams.c.id == team_id).values(name_key=key, in_roster=team_id in listed))
    by_team: dict[int, list] = {}
    for row in bind.execute(sa.select(customers.c.id, customers.c.name, customers.c.team_id, customers.c.name_key,
                                      customers.c.in_roster)):
        by_team.setdefault(row[2], []).append(row)
    for rows in by_team.values():
        keys = _unique_keys(rows, keeper=lambda g: max(g, key=lambda r: (bool(r[4]), r[0])))
        changed = {row[0]: keys[row[0]] for row in rows if keys[row[0]] != row[3]}
        # two steps, so no row takes a key another row still holds
        for customer_id in changed:
            bind.execute(customers.update().where(customers.c.id == customer_id).values(name_key=f"#{customer_id}"))
        for customer_id, key in changed.items():
            bind.execute(customers.update().where(customers.c.id == customer_id).values(name_key=key))
    op.create_index(op.f('ix_teams_name_key'), 'teams', ['name_key'], unique=True)
    if bind.dialect.name != 'sqlite':  # the defaults only served the ADD COLUMN (SQLite cannot drop one in place)
        op.alter_column('teams', 'name_key', server_default=None)
        op.alter_column('teams', 'in_roster', server_default=None)


def _roster_identity_downgrade() -> None:
    # customers' recomputed keys stay: they are what the older key gives, case and spaces aside
    op.drop_index(op.f('ix_teams_name_key'), table_name='teams')
    op.drop_column('teams', 'in_roster')
    op.drop_column('teams', 'name_key')
