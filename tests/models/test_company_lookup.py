"""A company's name works where one person's name is wanted: the account's only contact, or a
question naming its contacts; on SQLite and PostgreSQL, through the store and the command line."""

import json

import pytest
from helpers import customer, member, roster, team

from models.store.customers import find_customer, match_customer_prefix
from models.store.errors import StoreError, UnknownNameError

DOCUMENT = roster(team("East", slack_channel="C0123456", members=[member("U012ABC", "Dana")], customers=[
    customer("Jane Doe", company="Acme Corp", owner="U012ABC", revenue=30),
    customer("Omar Haddad", company="Acme Corp", owner="U012ABC", revenue=20),
    customer("Lee Chen", company="Initech", owner="U012ABC", revenue=10),
]))


@pytest.fixture
def east(cli, roster_file):
    assert cli("roster", "import", str(roster_file(DOCUMENT))).exit_code == 0


def test_a_company_with_one_contact_is_that_contact(east, session):
    assert find_customer("initech", session=session).name == "Lee Chen"
    found, rest = match_customer_prefix("Initech call coffee", session=session, team_id=find_customer("Lee Chen", session=session).team_id)
    assert (found.name, rest) == ("Lee Chen", "call coffee")


def test_a_company_with_several_contacts_names_them(east, session):
    with pytest.raises(StoreError) as caught:
        find_customer("ACME corp", session=session)
    assert "is an account with 2 contacts (Jane Doe, Omar Haddad); name one of them" in str(caught.value)


def test_without_by_company_only_people_count(east, session):
    with pytest.raises(UnknownNameError):
        find_customer("Initech", session=session, by_company=False)


def test_the_command_line_logs_to_a_one_contact_account(east, cli):
    result = cli("log", "Initech", "call")
    assert result.exit_code == 0, result.output
    rows = json.loads(cli("interactions", "--json").output)
    assert [(r["customer"], r["kind"]) for r in rows] == [("Lee Chen", "call")]
    refused = cli("log", "Acme Corp", "call")
    assert refused.exit_code == 1 and "name one of them" in refused.output
