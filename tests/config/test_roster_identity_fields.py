"""The roster's identity fields: the addresses, Slack ids and handles captured contact is
attributed by, and a customer's keep-in-touch cadence. Validated like every field (the message
names team, customer and field); stored on import, on SQLite and PostgreSQL."""

import pytest
from helpers import customer, member, roster, team
from sqlalchemy import select

from config.identity import is_free_mail
from config.roster import RosterError, parse_roster
from models.entities import Customer, Member, Team

DANA = {"slack_user": "U012ABC", "name": "Dana", "email": "Dana@OurCo.example", "aliases": ["dana.r@ourco.example"],
        "bluesky": "@Dana.bsky.social", "mastodon": "dana@Mastodon.Social"}
JANE = customer("Jane Doe", company="Acme", owner="U012ABC", revenue=10, emails=["Jane@Acme.example", "jd@acme.example"],
                slack_users=["U0EXT123"], cadence_days=14)


def document(*customers, members=(DANA,), **team_fields):
    return roster(team("East", slack_channel="C0123456", members=list(members), customers=list(customers or (JANE,)),
                       **team_fields))


def test_identity_fields_are_read_and_normalised():
    east = parse_roster(document(workspace="T0123456")).teams[0]
    dana, jane = east.members[0], east.customers[0]
    assert (dana.email, dana.aliases, dana.bluesky, dana.mastodon) == (
        "dana@ourco.example", ("dana.r@ourco.example",), "dana.bsky.social", "@dana@mastodon.social")
    assert dana.addresses == ("dana@ourco.example", "dana.r@ourco.example")
    assert (jane.emails, jane.slack_users, jane.cadence_days) == (("jane@acme.example", "jd@acme.example"), ("U0EXT123",), 14)
    assert east.workspace == "T0123456"


@pytest.mark.parametrize(
    "doc, where, message",
    [
        pytest.param(document(dict(JANE, emails=["jane at acme"])), "customer 'Jane Doe', field 'emails[0]'",
                     "is not an email address", id="malformed-address"),
        pytest.param(document(dict(JANE, emails="jane@acme.example\n" * 3)), "customer 'Jane Doe', field 'emails[0]'",
                     "is not an email address", id="several-addresses-in-one-string"),
        pytest.param(document(dict(JANE, emails={"a": 1})), "customer 'Jane Doe', field 'emails'", "must be a list", id="emails-mapping"),
        pytest.param(document(dict(JANE, emails=["jane@acme.example", "JANE@acme.example"])),
                     "customer 'Jane Doe', field 'emails[1]'", "is listed twice", id="same-address-twice"),
        pytest.param(document(JANE, customer("Omar", revenue=5, emails=["jane@acme.example"])),
                     "customer 'Omar', field 'emails'", "is also listed for customer 'Jane Doe'", id="address-of-two-customers"),
        pytest.param(document(customer("Omar", revenue=5, emails=["dana@ourco.example"])),
                     "customer 'Omar', field 'emails'", "is also listed for member 'Dana'", id="address-of-a-member"),
        pytest.param(document(JANE, customer("Omar", revenue=5, slack_users=["U0EXT123"])),
                     "customer 'Omar', field 'slack_users'", "is also listed for customer 'Jane Doe'", id="slack-id-of-two-customers"),
        pytest.param(document(dict(JANE, slack_users=["jane"])), "customer 'Jane Doe', field 'slack_users[0]'",
                     "is not a Slack user id", id="slack-user-not-an-id"),
        pytest.param(document(dict(JANE, cadence_days=0)), "customer 'Jane Doe', field 'cadence_days'",
                     "from 1 to 365", id="cadence-zero"),
        pytest.param(document(dict(JANE, cadence_days="weekly")), "customer 'Jane Doe', field 'cadence_days'",
                     "whole number of days", id="cadence-word"),
        pytest.param(document(members=[dict(DANA, email="dana")]), "field 'members[0].email'", "is not an email address",
                     id="member-email"),
        pytest.param(document(members=[dict(DANA, bluesky="not a handle")]), "field 'members[0].bluesky'",
                     "is not a Bluesky handle", id="member-bluesky"),
        pytest.param(document(members=[dict(DANA, mastodon="@dana")]), "field 'members[0].mastodon'",
                     "is not a Mastodon account", id="member-mastodon-without-server"),
        pytest.param(document(workspace="acme"), "team 'East', field 'workspace'", "is not a Slack workspace id", id="workspace"),
    ],
)
def test_bad_identity_values_name_team_customer_and_field(doc, where, message):
    with pytest.raises(RosterError) as caught:
        parse_roster(doc)
    text = str(caught.value)
    assert where in text and message in text, text
    assert "East" in text


def test_a_long_bad_value_is_quoted_short():
    with pytest.raises(RosterError) as caught:
        parse_roster(document(dict(JANE, emails=["x" * 5000])))
    assert len(str(caught.value)) < 400


@pytest.mark.parametrize("address, free", [
    pytest.param("jane@gmail.com", True, id="gmail"),
    pytest.param("jane@Outlook.com", True, id="outlook-any-case"),
    pytest.param("jane@acme.example", False, id="company"),
])
def test_free_mail_domains_are_never_a_company(address, free):
    assert is_free_mail(address) is free


def test_import_stores_identity_fields_and_updates_them(cli, roster_file, session):
    path = roster_file(document(workspace="T0123456"))
    assert cli("roster", "import", str(path)).exit_code == 0
    dana = session.scalar(select(Member))
    jane = session.scalar(select(Customer))
    assert (dana.email, dana.aliases, dana.bluesky, dana.mastodon) == (
        "dana@ourco.example", ["dana.r@ourco.example"], "dana.bsky.social", "@dana@mastodon.social")
    assert dana.addresses == ("dana@ourco.example", "dana.r@ourco.example")
    assert (jane.emails, jane.slack_users, jane.cadence_days) == (["jane@acme.example", "jd@acme.example"], ["U0EXT123"], 14)
    assert session.scalar(select(Team)).workspace == "T0123456"
    session.rollback()  # end the read, so the next import can write

    path = roster_file(document(dict(JANE, emails=["jane@acme.example"], cadence_days=None)))
    result = cli("roster", "import", str(path))
    assert result.exit_code == 0, result.output
    jane = session.scalar(select(Customer))
    assert (jane.emails, jane.cadence_days) == (["jane@acme.example"], None)
    assert session.scalar(select(Team)).workspace is None


def test_customers_without_identity_fields_import_as_before(cli, roster_file, session):
    path = roster_file(roster(team("East", slack_channel="C0123456", members=[member("U012ABC", "Dana")],
                                   customers=[customer("Lee", revenue=1)])))
    assert cli("roster", "import", str(path)).exit_code == 0
    lee = session.scalar(select(Customer))
    assert (lee.emails, lee.slack_users, lee.cadence_days) == ([], [], None)
