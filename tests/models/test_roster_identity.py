"""One team, one customer, however its name is written: the import, the look-ups and the migration
compare names the same way (``name_key``), and a team the roster drops is retired, not found."""

from __future__ import annotations

import json

import pytest
from helpers import customer, member, roster, store_roster, team
from sqlalchemy import select, text

from models.entities import Customer, Team
from models.store.errors import StoreError, UnknownNameError
from models.store.teams import all_teams, team_by_id, team_by_name, teams_by_member

JANE = customer("Jane Doe", company="Acme", owner="U0DANA", revenue=100)


def team_a(name: str = "Team A", *customers: dict) -> dict:
    return team(name, slack_channel="C0TEAMA", members=[member("U0DANA", "Dana")], customers=customers or (JANE,))


WEST = team("West", slack_channel="C0WEST", members=[member("U0WES", "Wes")],
            customers=[customer("Pat Lee", owner="U0WES", revenue=5)])


def test_a_case_change_of_a_team_name_keeps_the_team_and_its_history(cli, roster_file, sessions):
    assert cli("roster", "import", str(roster_file(roster(team_a("Team A"))))).exit_code == 0
    assert cli("log", "Jane Doe", "call", "--team", "Team A", "--note", "before").exit_code == 0

    result = cli("roster", "import", str(roster_file(roster(team_a("team a")), "lower.yaml")))
    assert result.exit_code == 0, result.output
    assert "removed" not in result.output and "added" not in result.output  # renamed in place

    logged = cli("log", "Jane Doe", "call", "--team", "team a", "--note", "after")
    assert logged.exit_code == 0, logged.output
    with sessions() as session:
        teams = list(session.scalars(select(Team)))
        assert [(t.name, t.name_key, t.in_roster) for t in teams] == [("team a", "team a", True)]
        jane = session.scalar(select(Customer))
        assert (jane.tracked, jane.in_roster) == (True, True)
    history = json.loads(cli("interactions", "--json").output)
    assert sorted(i["note"] for i in history) == ["after", "before"]
    assert {i["customer"] for i in history} == {"Jane Doe"}


@pytest.mark.parametrize("written", [
    pytest.param("TEAM A", id="upper-case"),
    pytest.param("  team   a ", id="spaces"),
    pytest.param("\uff34\uff45\uff41\uff4d A", id="full-width"),
    pytest.param("Te\u200bam A", id="zero-width-space"),
    pytest.param('"Team A"', id="quoted"),
])
def test_a_team_is_found_by_its_name_however_it_is_written(session, written):
    store_roster(session, roster(team_a("Team A")))
    assert team_by_name(written, session=session).name == "Team A"


def test_a_customer_written_in_full_width_or_with_a_zero_width_space_is_the_same_customer(session):
    from models.store.customers import find_customer

    store_roster(session, roster(team_a("Team A", JANE)))
    stored = session.scalar(select(Customer))
    store_roster(session, roster(team_a("Team A", dict(JANE, name="Jane\u200b Doe"))))
    store_roster(session, roster(team_a("Team A", dict(JANE, name="\uff2aane Doe"))))
    assert [c.id for c in session.scalars(select(Customer))] == [stored.id]
    assert find_customer("JANE\u2060 DOE", session=session).id == stored.id


def test_a_team_dropped_from_the_roster_is_retired_and_not_found(session):
    store_roster(session, roster(team_a("Team A"), WEST))
    west = team_by_name("West", session=session)
    store_roster(session, roster(team_a("Team A")))

    assert [t.name for t in all_teams(session=session)] == ["Team A"]
    assert team_by_id(west.id, session=session) is None
    assert "U0WES" not in teams_by_member(session=session)
    with pytest.raises(StoreError, match="'West' is no longer in the roster"):
        team_by_name("west", session=session)
    with pytest.raises(UnknownNameError, match="Did you mean: Team A"):
        team_by_name("Team B", session=session)

    store_roster(session, roster(team_a("Team A"), WEST))  # listed again: the same team, back
    assert [t.id for t in all_teams(session=session)] == [team_by_name("Team A", session=session).id, west.id]


def test_a_team_is_one_row_for_the_orm_too(session):
    session.add(Team(name="Ｅａｓｔ", slack_channel="C0EAST"))
    session.flush()
    assert session.scalar(select(Team.name_key)) == "east"
    from sqlalchemy.exc import IntegrityError

    with pytest.raises(IntegrityError), session.begin_nested():
        session.add(Team(name="EAST", slack_channel="C0EAST"))


@pytest.mark.empty_database
def test_the_migration_gives_teams_keys_and_retires_teams_an_import_had_emptied(db_url):
    """Of two teams whose names now compare equal, the one still listed keeps the key; customer keys
    are recomputed (full-width folded); no member or customer is lost."""
    from alembic import command

    from models.base import make_engine
    from models.schema import alembic_config

    engine = make_engine(db_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        # What the old import left after `Team A` was re-imported as `team a`: two teams, the old
        # one emptied (customer retired, member deactivated), and a customer key in the old form.
        connection.execute(text(
            "INSERT INTO teams (id, name, slack_channel, timezone, digest_time, top_n, created_at) VALUES "
            "(1, 'Team A', 'C0A', 'UTC', '09:00', 20, '2026-01-01'), (2, 'team a', 'C0A', 'UTC', '09:00', 20, '2026-01-02')"))
        connection.execute(text(
            "INSERT INTO members (id, team_id, slack_user, name, active) VALUES "
            "(1, 1, 'U0DANA', 'Dana', false), (2, 2, 'U0DANA', 'Dana', true)"))
        connection.execute(text(
            "INSERT INTO customers (id, team_id, name, name_key, company, revenue, tracked, in_roster, created_at) VALUES "
            "(1, 1, 'Jane Doe', 'jane doe', '', 1, false, false, '2026-01-01'),"
            "(2, 2, 'Ｊane Doe', 'ｊane doe', '', 1, true, true, '2026-01-02')"))
        command.upgrade(config, "head")
        teams = connection.execute(text("SELECT id, name_key, in_roster FROM teams ORDER BY id")).all()
        keys = connection.execute(text("SELECT id, name_key FROM customers ORDER BY id")).all()
        members = connection.execute(text("SELECT count(*) FROM members")).scalar()
    engine.dispose()
    assert members == 2  # nothing cascaded away (a table-copying ALTER on SQLite would have)
    assert [(i, k, bool(r)) for i, k, r in teams] == [(1, "team a #1", False), (2, "team a", True)]
    assert [tuple(row) for row in keys] == [(1, "jane doe"), (2, "jane doe")]


def test_a_member_named_with_by_is_found_however_the_name_is_written(cli, roster_file):
    assert cli("roster", "import", str(roster_file(roster(team_a("Team A"))))).exit_code == 0
    result = cli("log", "Jane Doe", "call", "--by", "\uff24ana\u200b")  # full-width D, zero-width space
    assert result.exit_code == 0, result.output
    assert [i["by"] for i in json.loads(cli("interactions", "--json").output)] == ["U0DANA"]
