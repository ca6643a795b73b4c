"""/tie undo picks the member's latest touch among the teams they act for now: a newer touch with
a customer of a team they have left neither hides an older one nor can be undone."""

from datetime import datetime, timedelta, timezone

from helpers import customer, member, roster, team

from models.entities import Customer
from models.store.customers import find_customer
from models.store.interactions import last_logged_by, log_interaction

NOW = datetime(2026, 12, 1, 12, tzinfo=timezone.utc)
DOCUMENT = roster(
    team("East", slack_channel="C0123456", members=[member("U012ABC", "Dana")], customers=[customer("Jane Doe", revenue=1)]),
    team("West", slack_channel="C0999999", members=[member("U012ABC", "Dana")], customers=[customer("Omar Haddad", revenue=1)]),
)


def test_the_latest_touch_is_chosen_within_the_members_teams(cli, roster_file, sessions):
    assert cli("roster", "import", str(roster_file(DOCUMENT))).exit_code == 0
    with sessions.begin() as session:
        jane, omar = find_customer("Jane Doe", session=session), find_customer("Omar Haddad", session=session)
        log_interaction(jane, "call", session=session, occurred_at=NOW - timedelta(hours=2), logged_by="U012ABC",
                        origin="slack", now=NOW - timedelta(hours=2))
        log_interaction(omar, "call", session=session, occurred_at=NOW - timedelta(hours=1), logged_by="U012ABC",
                        origin="slack", now=NOW - timedelta(hours=1))
        east, west = jane.team_id, omar.team_id
    with sessions() as session:
        since = NOW - timedelta(hours=24)
        assert session.get(Customer, last_logged_by("U012ABC", session=session, since=since, team_ids=[east, west]).customer_id).name == "Omar Haddad"
        assert last_logged_by("U012ABC", session=session, since=since, team_ids=[east]).customer.name == "Jane Doe"
        assert last_logged_by("U012ABC", session=session, since=since, team_ids=[]) is None
