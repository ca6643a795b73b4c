"""Follow-ups and keep-in-touch cadences: the pure date reading and rules (tables), then the
suggestion job on the store (SQLite and PostgreSQL) with the real scorer."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from digest.seed_world import MONDAY, ROSTER, runtime_for, seed
from helpers import store_roster
from sqlalchemy import select

from bot.jobs.reminders import follow_up_proposals
from bot.jobs.suggest import open_suggestions, preview_suggestions, suggest_job
from bot.rules.cadence import cadence_state, last_two_way
from bot.rules.followups import FollowUpFact, due_follow_ups, follow_up_key, offer_for_note, parse_when
from bot.rules.gestures import SuggestionPolicy
from config.errors import InputError
from models.entities import Customer, FollowUp, Suggestion
from models.store.cadence import effective_cadence, set_cadence
from models.store.followups import add_follow_up

TUESDAY = date(2026, 12, 1)
UTC = timezone.utc


@pytest.mark.parametrize("text, day, rest", [
    pytest.param("friday call about renewal", date(2026, 12, 4), "call about renewal", id="weekday"),
    pytest.param("Fri send deck", date(2026, 12, 4), "send deck", id="weekday-short"),
    pytest.param("next friday send deck", date(2026, 12, 4), "send deck", id="next-weekday"),
    pytest.param("tuesday x", date(2026, 12, 8), "x", id="same-weekday-is-next-week"),
    pytest.param("tomorrow ping", date(2026, 12, 2), "ping", id="tomorrow"),
    pytest.param("today ping", TUESDAY, "ping", id="today"),
    pytest.param("in 3 days ask", date(2026, 12, 4), "ask", id="in-days"),
    pytest.param("in a week ask", date(2026, 12, 8), "ask", id="in-a-week"),
    pytest.param("in two weeks ask", date(2026, 12, 15), "ask", id="in-weeks-word"),
    pytest.param("next week ask", date(2026, 12, 8), "ask", id="next-week"),
    pytest.param("2026-12-14 renewal call", date(2026, 12, 14), "renewal call", id="iso"),
])
def test_when_is_read_from_the_start_of_the_text(text, day, rest):
    assert parse_when(text, TUESDAY) == (day, rest)


@pytest.mark.parametrize("text, message", [
    pytest.param("someday maybe", "“someday” is not a date I know", id="unknown-word"),
    pytest.param("", "when should I remind you", id="nothing"),
    pytest.param("2026-11-30 x", "in the past", id="past"),
    pytest.param("2026-02-30 x", "not a real date", id="impossible-date"),
    pytest.param("in 400 days x", "more than 366 days ahead", id="too-far"),
    pytest.param("fridays x", "“fridays” is not a date I know", id="word-glued"),
])
def test_a_when_that_cannot_be_read_says_why_and_how(text, message):
    with pytest.raises(InputError, match=message) as caught:
        parse_when(text, TUESDAY)
    assert "/tie remind" in str(caught.value) or "past" in message or "ahead" in message or "real" in message


@pytest.mark.parametrize("note, when, day", [
    pytest.param("they asked for pricing, follow up friday", "friday", date(2026, 12, 4), id="follow-up-and-day"),
    pytest.param("demo went well; send the deck in 3 days", "in 3 days", date(2026, 12, 4), id="in-days"),
    pytest.param("renewal talk on 2026-12-14", "2026-12-14", date(2026, 12, 14), id="iso-date"),
    pytest.param("will follow up", "next week", date(2026, 12, 8), id="follow-up-only"),
    pytest.param("Follow-up needed", "next week", date(2026, 12, 8), id="hyphenated"),
    pytest.param("met them on 2026-11-02 about followup", "next week", date(2026, 12, 8), id="past-date-ignored"),
])
def test_a_note_that_says_follow_up_or_names_a_day_is_offered_a_reminder(note, when, day):
    offer = offer_for_note(note, TUESDAY)
    assert offer is not None and (offer.when, offer.day) == (when, day)
    assert parse_when(f"{offer.when} x", TUESDAY)[0] == day  # the offered words are what /tie remind reads


@pytest.mark.parametrize("note", [
    pytest.param("coffee in Lisbon", id="plain"),
    pytest.param("asked about their followers", id="follow-inside-a-word"),
    pytest.param("", id="empty"),
])
def test_other_notes_are_offered_nothing(note):
    assert offer_for_note(note, TUESDAY) is None


def _fact(due: date, team_id: int = 1) -> FollowUpFact:
    return FollowUpFact(follow_up_id=7, customer_id=3, customer="Jane Doe", team_id=team_id, member="U0DANA",
                        due_on=due, what="send the deck", created_on=TUESDAY)


@pytest.mark.parametrize("today, used, made", [
    pytest.param(date(2026, 12, 3), set(), False, id="day-before"),
    pytest.param(date(2026, 12, 4), set(), True, id="its-day"),
    pytest.param(date(2026, 12, 6), set(), True, id="late-still-comes"),
    pytest.param(date(2026, 12, 4), {"follow_up:7"}, False, id="already-made"),
])
def test_a_reminder_is_proposed_on_its_team_local_day_once(today, used, made):
    found = due_follow_ups([_fact(date(2026, 12, 4))], {1: today}, used)
    assert bool(found) is made
    if made:
        (proposal,) = found
        assert (proposal.kind, proposal.owner, proposal.dedupe_key) == ("follow_up", "U0DANA", follow_up_key(7))
        assert proposal.text == "Follow up with Jane Doe: send the deck"
        assert "2026-12-04" in proposal.reason


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=UTC)


@pytest.mark.parametrize("touches, expected", [
    pytest.param([], None, id="none"),
    pytest.param([(at(1), "meeting", "mutual"), (at(5), "share", "outbound")], at(1), id="mutual-then-one-way"),
    pytest.param([(at(1), "email", "outbound"), (at(2), "email", "inbound")], at(2), id="reply-in-window"),
    pytest.param([(at(1), "email", "outbound"), (at(20), "email", "inbound")], None, id="reply-too-late"),
    pytest.param([(at(1), "email", "outbound"), (at(3), "email", "outbound")], None, id="one-way-emails"),
    pytest.param([(at(3), "note", "mutual")], None, id="note-is-not-contact"),
    pytest.param([(at(9), "email", "inbound"), (at(1), "call", "mutual")], at(1), id="any-order"),
])
def test_last_two_way_contact_counts_what_the_model_counts(touches, expected):
    assert last_two_way(touches, reply_window_days=7.0) == expected


@pytest.mark.parametrize("touches, due", [
    pytest.param([(at(20), "call", "mutual")], False, id="within-cadence"),
    pytest.param([(at(10), "call", "mutual")], True, id="past-cadence"),
    pytest.param([(at(10), "call", "mutual"), (at(25), "email", "outbound")], True, id="one-way-does-not-reset"),
    pytest.param([], True, id="never"),
    pytest.param([(at(10), "call", "mutual"), (at(29), "call", "mutual")], True, id="future-ignored"),
])
def test_a_cadence_is_due_once_its_interval_passes_without_two_way_contact(touches, due):
    state = cadence_state(1, 14, touches, at(28), reply_window_days=7.0)
    assert state.due is due


# --- on the store, with the real scorer ---------------------------------------------------------


def customers(runtime) -> dict[str, Customer]:
    with runtime.session() as session:
        return {c.name: c for c in session.scalars(select(Customer))}


def test_a_relationship_past_its_cadence_gets_a_check_in_and_without_one_nothing_changes(db_url):
    runtime = runtime_for(db_url)
    ids = seed(runtime)
    plain = {p.customer: p for p in preview_suggestions(runtime, as_of=MONDAY)}
    assert plain["Bob Roe"].kind == "share" and plain["Jane Doe"].kind == "congratulate"
    with runtime.session() as session:
        bob, jane = session.get(Customer, ids["Bob Roe"]), session.get(Customer, ids["Jane Doe"])
        set_cadence(bob, 14, session=session)  # never any contact: due
        set_cadence(jane, 7, session=session)  # met two days ago: not due
    made = {p.customer: p for p in suggest_job(runtime, as_of=MONDAY)}
    assert made["Bob Roe"].kind == "check_in"
    assert "keep-in-touch cadence of 14 days has passed" in made["Bob Roe"].reason
    assert made["Jane Doe"].kind == "congratulate"


def test_a_cadence_set_in_slack_holds_until_the_roster_changes_the_field(db_url):
    runtime = runtime_for(db_url)
    seed(runtime)
    document = ROSTER
    with runtime.session() as session:
        jane = session.scalar(select(Customer).where(Customer.name == "Jane Doe"))
        assert effective_cadence(jane) is None
        set_cadence(jane, 10, session=session)
        assert effective_cadence(jane) == 10
    with runtime.session() as session:
        store_roster(session, document)  # the same roster again: the Slack value stays
    assert effective_cadence(customers(runtime)["Jane Doe"]) == 10
    changed = {"teams": [dict(document["teams"][0], customers=[
        dict(c, cadence_days=30) if c["name"] == "Jane Doe" else c for c in document["teams"][0]["customers"]])]}
    with runtime.session() as session:
        store_roster(session, changed)  # the file now says 30: the file wins
    assert effective_cadence(customers(runtime)["Jane Doe"]) == 30
    with runtime.session() as session:
        jane = session.scalar(select(Customer).where(Customer.name == "Jane Doe"))
        set_cadence(jane, None, session=session)  # off, until the roster changes the field again
        assert effective_cadence(jane) is None


def test_a_reminder_comes_back_on_its_day_in_the_team_zone_whatever_the_cap(db_url):
    runtime = runtime_for(db_url)
    ids = seed(runtime)
    friday = date(2026, 11, 27)
    with runtime.session() as session:
        jane = session.get(Customer, ids["Jane Doe"])
        add_follow_up(jane, session=session, member="U0DANA", due_on=friday, what="send the <!channel> deck",
                      now=MONDAY, dedupe_key="k1")
        add_follow_up(jane, session=session, member="U0DANA", due_on=friday, what="ignored", now=MONDAY,
                      dedupe_key="k1")  # a retry of the same request
    with runtime.session() as session:
        assert len(list(session.scalars(select(FollowUp)))) == 1
    thursday_night_ny = datetime(2026, 11, 27, 4, 30, tzinfo=UTC)  # 23:30 Thursday in New York
    friday_ny = datetime(2026, 11, 27, 6, 0, tzinfo=UTC)  # 01:00 Friday in New York
    policy = SuggestionPolicy(daily_cap=1)
    assert [p.kind for p in suggest_job(runtime, as_of=thursday_night_ny, policy=policy)].count("follow_up") == 0
    made = suggest_job(runtime, as_of=friday_ny, policy=policy)
    follow = [p for p in made if p.kind == "follow_up"]
    assert len(follow) == 1 and follow[0].owner == "U0DANA"
    assert follow[0].text == "Follow up with Jane Doe: send the <!channel> deck"  # raw here; escaped on display
    assert suggest_job(runtime, as_of=friday_ny + timedelta(hours=1), policy=policy) == []  # once
    with runtime.session() as session:
        assert follow_up_proposals(session=session, as_of=friday_ny) == []
        records = open_suggestions(session=session, as_of=friday_ny)
        row = session.scalar(select(Suggestion).where(Suggestion.kind == "follow_up"))
        reminder = session.scalar(select(FollowUp))
    assert row.dedupe_key == follow_up_key(reminder.id) and row.owner_user == "U0DANA"
    assert [r["kind"] for r in records].count("follow_up") == 1
