"""Accounts and one voice in Slack: `/tie status <company>`, close matches over people and companies,
removed customers, `/tie top` heavy users first with owner names, App Home's single-threaded
accounts, and no Bolt warning at start; signed requests against the Web API fake."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

from fakes.slack_requests import app_home_opened, slash_command
from fakes.slack_world import DANA, customer_id
from helpers import customer, member, roster, store_roster, team

from models.entities import Customer, Interaction


def tie(fake_slack, text: str, user: str = DANA):
    return slash_command(text, user_id=user, response_base=fake_slack.base_url)


def make_champion(runtime, name: str) -> None:
    """Thirteen weeks of weekly two-way contact: a tie at building or better."""
    now = datetime.now(timezone.utc)
    with runtime.session() as session:
        cid = customer_id(runtime, name)
        for week in range(13, 0, -1):
            session.add(Interaction(customer_id=cid, kind="meeting", direction="mutual",
                                    occurred_at=now - timedelta(weeks=week), origin="test"))


def test_status_of_a_company_shows_its_account(send, fake_slack, runtime, replies):
    make_champion(runtime, "Jane Doe")
    send(tie(fake_slack, "status acme corp"))
    [text] = replies()
    assert "*Acme Corp* (Enterprise East)" in text and "single-threaded" in text
    assert "• *Jane Doe*" in text and "owner Dana Reyes" in text
    assert "coverage 1/1" in text


def test_an_unknown_name_offers_people_and_companies(send, fake_slack, runtime, replies):
    send(tie(fake_slack, "status Globx"))
    assert "Did you mean" in replies()[0] and "Globex" in replies()[0]


def test_a_removed_customer_is_reported_as_removed(send, fake_slack, runtime, replies):
    with runtime.session() as session:
        omar = session.get(Customer, customer_id(runtime, "Omar Haddad"))
        omar.in_roster, omar.tracked, omar.revenue_rank = False, False, None
    send(tie(fake_slack, "status Omar Haddad"))
    assert "removed from the roster" in replies()[0] and "top customers by revenue" not in replies()[0]


def test_top_lists_heavy_users_first_with_owner_names(send, fake_slack, runtime, replies):
    make_champion(runtime, "Omar Haddad")  # the strongest tie, but not the heaviest customer
    send(tie(fake_slack, "top"))
    lines = [line for line in replies()[0].splitlines() if line[:1].isdigit()]
    assert [line.split("*")[1] for line in lines] == ["Jane Doe", "Omar Haddad", "Jane"]  # by revenue
    assert "Dana Reyes" in lines[0] and "Lee Park" in lines[2] and "U0" not in replies()[0]


def test_unknown_kind_lists_every_kind(send, fake_slack, runtime, replies):
    send(tie(fake_slack, "log Jane Doe lunchbreak"))
    assert "meeting" in replies()[0] and "purchase" in replies()[0]


def test_home_names_single_threaded_accounts_and_lists_heavy_users_first(send, fake_slack, runtime):
    make_champion(runtime, "Omar Haddad")
    send(app_home_opened(user_id=DANA))
    [call] = fake_slack.calls_to("views.publish")
    view = call.args["view"]
    view = json.dumps(json.loads(view) if isinstance(view, str) else view, ensure_ascii=False)
    assert "Single-threaded accounts" in view and "*Globex*: only Omar Haddad" in view
    assert view.index("Jane Doe") < view.index("Omar Haddad")  # revenue 120000 before 90000


def test_building_the_app_prints_no_token_warning(runtime, monkeypatch, caplog):
    from bot.slack.app import build_app

    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-test")
    with caplog.at_level(logging.WARNING):
        build_app(runtime)
    assert "token will be unused" not in caplog.text


def test_two_contacts_at_building_are_not_single_threaded(runtime):
    from bot.jobs.score import relationship_statuses
    from bot.rules.accounts import accounts_of

    with runtime.session() as session:
        store_roster(session, roster(team("Enterprise East", slack_channel="C0EAST", timezone="America/New_York",
                                          members=[member(DANA, "Dana Reyes")],
                                          customers=[customer("Jane Doe", company="Acme Corp", owner=DANA, revenue=120000),
                                                     customer("Ann Acme", company="Acme Corp", owner=DANA, revenue=1000)])))
    make_champion(runtime, "Jane Doe")
    make_champion(runtime, "Ann Acme")
    with runtime.session() as session:
        statuses = relationship_statuses(session=session, as_of=datetime.now(timezone.utc), params=runtime.scoring)
    [acme] = [a for a in accounts_of(statuses) if a.account == "Acme Corp"]
    assert acme.coverage == 2 and not acme.single_threaded
