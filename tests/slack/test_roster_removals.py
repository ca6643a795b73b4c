"""What a roster import that drops someone means for Slack: a member removed gets no more DMs
(open and snoozed suggestions included), a team removed gets no digest and no scheduled digest job."""

from __future__ import annotations

import copy
from datetime import datetime, timedelta, timezone

import pytest
from fakes.slack_world import DANA, LEE, ROSTER, add_suggestion
from helpers import store_roster

from bot.jobs.deliver import ChannelPacer, deliver_suggestions_job
from bot.jobs.digest import digest_job
from bot.scheduler_jobs import desired_jobs
from config.errors import UserError
from models.entities import Suggestion


def without_lee() -> dict:
    """The roster with Lee gone from Enterprise East (Lee's customer handed to Dana)."""
    document = copy.deepcopy(ROSTER)
    east = document["teams"][0]
    east["members"] = [m for m in east["members"] if m["slack_user"] != LEE]
    for each in east["customers"]:
        each["owner"] = DANA
    return document


def without_west() -> dict:
    document = copy.deepcopy(ROSTER)
    document["teams"] = [t for t in document["teams"] if t["name"] != "West"]
    return document


def no_wait() -> ChannelPacer:
    return ChannelPacer(interval=0)


def test_a_member_removed_from_the_roster_gets_no_more_dms(runtime, fake_slack):
    now = datetime.now(timezone.utc)
    opened = add_suggestion(runtime, "Jane", owner=LEE, status="open", text="Check in with Jane")
    snoozed = add_suggestion(runtime, "Jane", owner=LEE, status="snoozed", text="Share Jane's post",
                             snoozed_until=now - timedelta(minutes=1), slack_channel="D0LEE", slack_ts="1.0")
    danas = add_suggestion(runtime, "Jane Doe", owner=DANA, status="open")
    with runtime.session() as session:
        store_roster(session, without_lee())

    summary = deliver_suggestions_job(runtime, pacer=no_wait())

    assert (summary.sent, summary.failed) == (1, 0)
    assert [c.args["users"] for c in fake_slack.calls_to("conversations.open")] == [DANA]
    with runtime.session() as session:
        assert session.get(Suggestion, opened).status == "open"
        assert session.get(Suggestion, snoozed).status == "snoozed"
        assert session.get(Suggestion, danas).status == "sent"


def test_a_member_listed_again_gets_their_dms_again(runtime, fake_slack):
    opened = add_suggestion(runtime, "Jane", owner=LEE, status="open")
    with runtime.session() as session:
        store_roster(session, without_lee())
    assert deliver_suggestions_job(runtime, pacer=no_wait()).sent == 0
    with runtime.session() as session:
        store_roster(session, ROSTER)
    assert deliver_suggestions_job(runtime, pacer=no_wait()).sent == 1
    with runtime.session() as session:
        assert session.get(Suggestion, opened).status == "sent"


def test_a_team_removed_from_the_roster_gets_no_digest_and_no_digest_job(runtime, fake_slack):
    before = {spec.name for spec in desired_jobs(runtime)}
    assert "digest for West" in before
    with runtime.session() as session:
        store_roster(session, without_west())

    assert {spec.name for spec in desired_jobs(runtime)} == before - {"digest for West"}
    outcomes = digest_job(runtime, as_of=datetime.now(timezone.utc), force=True)
    assert [o.team for o in outcomes] == ["Enterprise East"]
    assert {c.args["channel"] for c in fake_slack.calls_to("chat.postMessage")} == {"C0EAST"}
    with pytest.raises(UserError, match="'West' is no longer in the roster"):
        digest_job(runtime, team="west", dry_run=True)
