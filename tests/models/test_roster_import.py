"""Roster import through the CLI, on SQLite and PostgreSQL."""

import json
import re

from helpers import customer, member, roster, team

FEED = "https://acme.example/blog/feed.xml"
JANE = customer("Jane Doe", company="Acme Corp", owner="U012ABC", revenue=120000,
                sources=[{"rss": FEED}, {"bluesky": "jane.bsky.social"}])
OMAR = customer("Omar Haddad", company="Globex", owner="U012ABC", revenue=90000, sources=[{"twitter": "omarh"}])
LEE = customer("Lee Chen", company="Initech", revenue=1000)


def east(*customers: dict) -> dict:
    """Enterprise East with ``customers`` (by default Jane, Omar and Lee; only the top two tracked)."""
    return team("Enterprise East", slack_channel="C0123456", timezone="America/New_York", digest_time="09:00", top_n=2,
                members=[member("U012ABC", "Dana Reyes")], customers=customers or (JANE, OMAR, LEE))


ROSTER = roster(east())


def _sources(cli):
    return json.loads(cli("sources", "--json").output)


def test_import_creates_everything_and_tracks_top_n(cli, roster_file, session):
    result = cli("roster", "import", str(roster_file(ROSTER)))
    assert result.exit_code == 0, result.output
    assert "3 customers added" in result.output
    assert "Untracked (beyond top_n by revenue): Lee Chen" in result.output
    sources = _sources(cli)
    assert {(s["customer"], s["kind"], s["target"]) for s in sources} == {
        ("Jane Doe", "rss", FEED),
        ("Jane Doe", "bluesky", "jane.bsky.social"),
        ("Omar Haddad", "twitter", "omarh"),
    }
    bluesky = next(s for s in sources if s["kind"] == "bluesky")
    assert bluesky["url"] == "https://bsky.app/profile/jane.bsky.social/rss"


def test_reimport_changes_nothing(cli, roster_file):
    path = str(roster_file(ROSTER))
    cli("roster", "import", path)
    before = _sources(cli)
    again = cli("roster", "import", path)
    assert again.exit_code == 0
    assert "nothing changed" in again.output
    assert _sources(cli) == before


def test_bad_file_imports_nothing_and_names_the_field(cli, roster_file):
    broken = roster(east(JANE, dict(OMAR, revenue="ninety"), LEE))
    result = cli("roster", "import", str(roster_file(broken)))
    assert result.exit_code == 1
    assert "team 'Enterprise East', customer 'Omar Haddad', field 'revenue'" in result.output
    assert _sources(cli) == []


def test_edit_updates_in_place_and_removal_keeps_history(cli, roster_file):
    cli("roster", "import", str(roster_file(ROSTER)))
    assert cli("log", "Omar Haddad", "call", "--note", "kickoff").exit_code == 0
    first_ids = {s["target"]: s["id"] for s in _sources(cli)}

    edited = roster(east(dict(JANE, company="Acme Holdings"), LEE))  # Acme renamed, Omar removed
    result = cli("roster", "import", str(roster_file(edited, "edited.yaml")))
    assert result.exit_code == 0, result.output
    assert "1 customer removed" in result.output
    assert re.search(r"\b[12] customers? updated", result.output)

    after = {s["target"]: s for s in _sources(cli)}
    assert after[FEED]["id"] == first_ids[FEED]
    assert after["omarh"]["enabled"] is False
    history = json.loads(cli("interactions", "--json").output)
    assert [(i["customer"], i["note"]) for i in history] == [("Omar Haddad", "kickoff")]


def test_tracking_follows_revenue_rank(cli, roster_file, sessions):
    from sqlalchemy import select

    from models.entities import Customer

    cli("roster", "import", str(roster_file(ROSTER)))
    jane_shrinks = roster(east(dict(JANE, revenue=500), OMAR, LEE))
    cli("roster", "import", str(roster_file(jane_shrinks, "v2.yaml")))
    with sessions() as session:
        tracked = {c.name: c.tracked for c in session.scalars(select(Customer))}
    assert tracked["Lee Chen"] is True
    assert tracked["Jane Doe"] is False


TWO_TEAMS = roster(east(), team("West", slack_channel="C0999999", members=[member("U0WEST1", "Wes")],
                                customers=[customer("Pat Lee", owner="U0WEST1", revenue=500,
                                                    sources=[{"rss": "https://west.example/feed.xml"}])]))


def test_removing_a_team_retires_its_customers_sources_and_members(cli, roster_file, sessions):
    from sqlalchemy import select

    from models.entities import Customer, Member

    cli("roster", "import", str(roster_file(TWO_TEAMS, "two.yaml")))
    assert cli("log", "Pat Lee", "call").exit_code == 0
    result = cli("roster", "import", str(roster_file(ROSTER)))
    assert result.exit_code == 0, result.output
    assert "1 customer removed" in result.output and "1 member deactivated" in result.output
    west = next(s for s in _sources(cli) if s["team"] == "West")
    assert west["enabled"] is False
    with sessions() as session:
        pat = session.scalar(select(Customer).where(Customer.name == "Pat Lee"))
        wes = session.scalar(select(Member).where(Member.slack_user == "U0WEST1"))
        assert (pat.tracked, pat.in_roster, wes.active) == (False, False, False)
    assert [i["customer"] for i in json.loads(cli("interactions", "--json").output)] == ["Pat Lee"]


def test_relisting_a_source_gives_a_disabled_one_another_chance(cli, roster_file, sessions):
    from sqlalchemy import select

    from models.entities import Source

    path = str(roster_file(ROSTER))
    cli("roster", "import", path)
    with sessions() as session, session.begin():
        feed = session.scalar(select(Source).where(Source.kind == "rss"))
        feed.enabled, feed.error_count, feed.last_status = False, 3, "gone"
    without_feed = roster(east(dict(JANE, sources=[{"bluesky": "jane.bsky.social"}]), OMAR, LEE))
    cli("roster", "import", str(roster_file(without_feed, "nofeed.yaml")))
    result = cli("roster", "import", path)
    assert "1 source restored" in result.output
    with sessions() as session:
        feed = session.scalar(select(Source).where(Source.kind == "rss"))
        assert (feed.enabled, feed.in_roster, feed.error_count) == (True, True, 0)
