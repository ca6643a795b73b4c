"""Meeting prep: the evening before a meeting with a customer its owner is told who they will see.

The pure rule is table-tested (when it is due, once per meeting, what its text names); then end
to end: a calendar served on loopback is synced, the upcoming meeting stored, and the suggestion
job proposes the prep once, at the right team-local time."""

from __future__ import annotations

import dataclasses
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import Fernet
from fakes.feeds import FeedServer, Route
from sqlalchemy import select

from bot.jobs.capture import sync_connections
from bot.jobs.suggest import suggest_job
from bot.rules.gestures import PostFact, kind_label
from bot.rules.meeting_prep import PrepFacts, TouchFact, UpcomingFact, meeting_prep, prep_due, prep_key
from bot.rules.status import RelationshipStatus
from bot.runtime import Runtime
from bot.slack.blocks import suggestion_message
from config.settings import Secret, Settings
from models.crypto import SecretBox
from models.entities import Customer, Member, Suggestion, Team, UpcomingMeeting
from models.store.connections import add_connection

UTC = timezone.utc
NY = ZoneInfo("America/New_York")
# Wednesday 2026-03-18, in New York (UTC-4 then).
TUESDAY_5PM_NY = datetime(2026, 3, 17, 17, 0, tzinfo=NY)


def status(**changes) -> RelationshipStatus:
    base = RelationshipStatus(
        customer_id=1, customer="Jane Doe", company="Acme", team="East", team_id=1, owner="U1", owner_name="Dana",
        revenue_rank=1, score=40.0, stage="weak_tie", hourglass="like", at_risk=False,
        last_interaction_at=None, trend=6.0)
    return dataclasses.replace(base, **changes)


@pytest.mark.parametrize(("starts", "now", "due"), [
    pytest.param(datetime(2026, 3, 18, 10, tzinfo=NY), datetime(2026, 3, 17, 16, 59, tzinfo=NY), False,
                 id="morning-meeting-not-before-17h-the-day-before"),
    pytest.param(datetime(2026, 3, 18, 10, tzinfo=NY), datetime(2026, 3, 17, 17, 0, tzinfo=NY), True,
                 id="morning-meeting-due-at-17h-the-day-before"),
    pytest.param(datetime(2026, 3, 18, 10, tzinfo=NY), datetime(2026, 3, 18, 9, 0, tzinfo=NY), True,
                 id="found-the-same-morning-due-at-once"),
    pytest.param(datetime(2026, 3, 18, 20, tzinfo=NY), datetime(2026, 3, 17, 18, 0, tzinfo=NY), False,
                 id="evening-meeting-more-than-24h-ahead"),
    pytest.param(datetime(2026, 3, 18, 20, tzinfo=NY), datetime(2026, 3, 17, 20, 0, tzinfo=NY), True,
                 id="evening-meeting-due-24h-ahead"),
    pytest.param(datetime(2026, 3, 18, 10, tzinfo=NY), datetime(2026, 3, 18, 10, 0, tzinfo=NY), False,
                 id="already-started"),
    pytest.param(datetime(2026, 3, 18, 14, tzinfo=UTC), datetime(2026, 3, 17, 21, 30, tzinfo=UTC), True,
                 id="team-zone-decides-the-evening"),  # 17:30 in New York
    pytest.param(datetime(2026, 3, 18, 14, tzinfo=UTC), datetime(2026, 3, 17, 20, 30, tzinfo=UTC), False,
                 id="team-zone-not-evening-yet"),  # 16:30 in New York
])
def test_prep_due(starts, now, due):
    assert prep_due(starts, now, NY) is due


def facts(**changes) -> PrepFacts:
    base = PrepFacts(
        statuses=[status()],
        meetings=[UpcomingFact(1, "weekly@ourco", "2026-03-18T14:00:00+00:00", datetime(2026, 3, 18, 10, tzinfo=NY))],
        posts=[PostFact(7, 1, "https://acme.example/p", "Acme raises a Series B", "", datetime(2026, 3, 16, 9, tzinfo=UTC)),
               PostFact(6, 1, "https://acme.example/o", "Older post", "", datetime(2026, 3, 1, 9, tzinfo=UTC))],
        last_touches={1: TouchFact("email", datetime(2026, 3, 12, 15, tzinfo=UTC))},
        open_counts={1: 2},
        zones={1: NY},
    )
    return replace(base, **changes)


KEY = prep_key(1, "weekly@ourco", "2026-03-18T14:00:00+00:00")


@pytest.mark.parametrize(("changes", "now", "keys"), [
    pytest.param({}, TUESDAY_5PM_NY, [KEY], id="due"),
    pytest.param({}, TUESDAY_5PM_NY - timedelta(minutes=1), [], id="too-early"),
    pytest.param({"seen_keys": frozenset({KEY})}, TUESDAY_5PM_NY, [], id="once-per-meeting-even-dismissed"),
    pytest.param({"statuses": []}, TUESDAY_5PM_NY, [], id="untracked-customer"),
    pytest.param({"meetings": [UpcomingFact(1, "weekly@ourco", "2026-03-18T14:00:00+00:00",
                                            datetime(2026, 3, 18, 10, tzinfo=NY))] * 2},
                 TUESDAY_5PM_NY, [KEY], id="two-calendars-one-prep"),
])
def test_meeting_prep_proposals(changes, now, keys):
    assert [p.dedupe_key for p in meeting_prep(facts(**changes), now)] == keys


def test_prep_text_names_post_milestone_stage_trend_touch_and_open_count():
    (proposal,) = meeting_prep(facts(), TUESDAY_5PM_NY)
    assert proposal.kind == "meeting_prep" and proposal.owner == "U1" and proposal.customer_id == 1
    assert proposal.dedupe_key == "meeting_prep:1:weekly@ourco@2026-03-18T14:00:00+00:00"
    text = proposal.text
    assert "Jane Doe (Acme) at Wed 10:00" in text
    assert "Series B" in text and "funding" in text.lower() and "Older post" not in text
    assert "weak tie, rising" in text and "hourglass like" in text
    assert "Last touch: email on Mar 12" in text and "2 open suggestions" in text


def test_prep_text_without_post_or_touch():
    (proposal,) = meeting_prep(facts(posts=[], last_touches={}, open_counts={}), TUESDAY_5PM_NY)
    assert "No recent post" in proposal.text and "No touch logged yet" in proposal.text and "0 open suggestions" in proposal.text


def test_block_kit_renders_the_kind_label():
    assert kind_label("meeting_prep") == "Meeting prep"
    (proposal,) = meeting_prep(facts(), TUESDAY_5PM_NY)
    text, blocks = suggestion_message(suggestion_id=1, kind=proposal.kind, customer=proposal.customer,
                                      text=proposal.text, post_url=None, reason=proposal.reason)
    assert "*Meeting prep*: Jane Doe" in str(blocks)


# --- end to end: a calendar on loopback -> sync -> suggest -------------------------------------

SECRET = Fernet.generate_key().decode()


def calendar(*events: str) -> bytes:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//strongtie tests//EN\r\n" + "".join(events)
            + "END:VCALENDAR\r\n").encode()


def event(uid: str, start: str, *people: str) -> str:
    lines = [f"UID:{uid}", f"DTSTART:{start}", "DURATION:PT1H", f"ORGANIZER:mailto:{people[0]}"]
    lines += [f"ATTENDEE;PARTSTAT=ACCEPTED:mailto:{p}" for p in people[1:]]
    return "BEGIN:VEVENT\r\n" + "\r\n".join(lines) + "\r\nEND:VEVENT\r\n"


@pytest.fixture
def runtime(engine, db_url):
    built = Runtime(settings=replace(Settings(database_url=db_url), allow_private_networks=True,
                                     secret_key=Secret(SECRET)))
    yield built
    built.engine.dispose()


def test_sync_stores_upcoming_meeting_and_suggest_proposes_prep_once(sessions, runtime):
    # Wednesday 10:00 New York = 14:00 UTC with Jane, and one a week later.
    body = calendar(event("kickoff@ourco", "20260318T140000Z", "dana@ourco.example", "jane@acme.example"),
                    event("later@ourco", "20260325T140000Z", "dana@ourco.example", "jane@acme.example"))
    with FeedServer() as server:
        url = server.add("/dana.ics", Route(body=body, content_type="text/calendar"))
        with sessions.begin() as session:
            team = Team(name="East", slack_channel="C0TEAM", timezone="America/New_York")
            session.add(team)
            session.flush()
            dana = Member(team_id=team.id, slack_user="U_DANA", name="Dana", email="dana@ourco.example")
            session.add(dana)
            session.flush()
            session.add(Customer(team_id=team.id, name="Jane Doe", name_key="jane doe", company="Acme",
                                 emails=["jane@acme.example"], owner_id=dana.id))
            add_connection(dana, "calendar", sealed_secret=SecretBox(Secret(SECRET)).seal(url), options={}, session=session)
        morning = datetime(2026, 3, 17, 9, 0, tzinfo=NY)
        summary = sync_connections(runtime, force=True, now=morning)
        assert summary.errors == 0, summary.problems
    with sessions() as session:
        stored = [(m.uid, m.occurrence, m.starts_at) for m in session.scalars(select(UpcomingMeeting))]
    assert stored == [("kickoff@ourco", "once", datetime(2026, 3, 18, 14, tzinfo=UTC))]  # next week's is not within 24 h

    assert [p.kind for p in suggest_job(runtime, as_of=morning)] == []  # Tuesday morning: not yet
    evening = datetime(2026, 3, 17, 17, 5, tzinfo=NY)
    preps = [p for p in suggest_job(runtime, as_of=evening) if p.kind == "meeting_prep"]
    assert [(p.owner, p.dedupe_key) for p in preps] == [("U_DANA", f"meeting_prep:{preps[0].customer_id}:kickoff@ourco@once")]
    assert "Jane Doe (Acme) at Wed 10:00" in preps[0].text
    assert [p for p in suggest_job(runtime, as_of=evening + timedelta(hours=1)) if p.kind == "meeting_prep"] == []
    with sessions() as session:
        assert session.scalars(select(Suggestion.kind)).all().count("meeting_prep") == 1
