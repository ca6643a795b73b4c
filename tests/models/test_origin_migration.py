"""Migration 0010: interactions stored before the origins were settled get the contract's names."""

import pytest
from sqlalchemy import text


@pytest.mark.empty_database
def test_old_origins_are_renamed_and_the_others_kept(db_url):
    from alembic import command

    from models.base import make_engine
    from models.schema import alembic_config

    engine = make_engine(db_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0009")
        connection.execute(text(
            "INSERT INTO teams (id, name, name_key, in_roster, slack_channel, timezone, digest_time, top_n, created_at) "
            "VALUES (1, 'East', 'east', true, 'C0A', 'UTC', '09:00', 20, '2026-01-01')"))
        connection.execute(text(
            "INSERT INTO customers (id, team_id, name, name_key, company, revenue, tracked, in_roster, created_at) "
            "VALUES (1, 1, 'Jane', 'jane', '', 1, true, true, '2026-01-01')"))
        for index, origin in enumerate(["suggestion", "import", "demo", "slack", "cli"], start=1):
            connection.execute(text(
                "INSERT INTO interactions (id, customer_id, kind, direction, note, occurred_at, origin, created_at) "
                f"VALUES ({index}, 1, 'call', 'mutual', '', '2026-01-0{index}', '{origin}', '2026-01-0{index}')"))
        command.upgrade(config, "head")
        origins = connection.execute(text("SELECT origin FROM interactions ORDER BY id")).scalars().all()
    engine.dispose()
    assert origins == ["button", "csv", "csv", "slack", "cli"]
