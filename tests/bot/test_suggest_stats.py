"""``strongtie suggest --stats``: per kind, what managers did with the suggestions (done, snoozed,
dismissed and why), human and JSON; and ``strongtie suggest --json`` listing reminders to come."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

from digest.seed_world import MONDAY, runtime_for, seed

from models.entities import Customer, Suggestion
from models.store.followups import add_follow_up
from models.store.suggestions import set_dismiss_reason, suggestion_stats

# (kind, status, reason) of the suggestions stored for the stats
MADE = [
    ("share", "done", None), ("share", "done", None), ("share", "dismissed", "bad_timing"),
    ("share", "dismissed", "bad_timing"), ("share", "dismissed", None), ("share", "snoozed", None),
    ("check_in", "done", None), ("check_in", "sent", None), ("check_in", "dismissed", "wrong_person"),
    ("follow_up", "open", None),
]


def stored_world(db_url) -> None:
    runtime = runtime_for(db_url)
    ids = seed(runtime)
    with runtime.session() as session:
        for number, (kind, status, reason) in enumerate(MADE):
            row = Suggestion(customer_id=ids["Jane Doe"], owner_user="U0DANA", kind=kind, text="t", priority=1.0,
                             dedupe_key=f"stats:{number}", status=status, suggested_at=MONDAY)
            session.add(row)
            session.flush()
            if reason:
                assert set_dismiss_reason(row, reason)
    runtime.engine.dispose()


def test_stats_count_each_kind_by_outcome_and_dismissal_reason(db_url):
    stored_world(db_url)
    runtime = runtime_for(db_url)
    with runtime.session() as session:
        stats = {s.kind: s for s in suggestion_stats(session=session)}
        jane = session.query(Customer).filter_by(name="Jane Doe").one()
        done = Suggestion(customer_id=jane.id, kind="share", text="t", dedupe_key="x", status="done",
                          suggested_at=MONDAY)
        assert set_dismiss_reason(done, "bad_timing") is False  # only a dismissed suggestion has a reason
        dismissed = Suggestion(customer_id=jane.id, kind="share", text="t", dedupe_key="y", status="dismissed",
                               suggested_at=MONDAY)
        assert set_dismiss_reason(dismissed, "because") is False  # not one of the reasons
    share = stats["share"]
    assert (share.made, share.done, share.snoozed, share.dismissed, share.open) == (6, 2, 1, 3, 0)
    assert share.reasons == {"bad_timing": 2, "unspecified": 1}
    assert share.as_json()["done_rate"] == round(2 / 6, 3)
    check_in = stats["check_in"]
    assert (check_in.made, check_in.done, check_in.dismissed, check_in.open) == (3, 1, 1, 1)
    assert check_in.reasons == {"wrong_person": 1}
    assert stats["follow_up"].as_json()["done_rate"] is None  # nothing answered yet
    assert list(stats) == ["share", "check_in", "follow_up"]  # most made first


def test_stats_command_prints_a_table_and_one_json_document(db_url, cli):
    stored_world(db_url)
    result = cli("suggest", "--stats", "--json")
    assert result.exit_code == 0, result.output
    records = {r["kind"]: r for r in json.loads(result.output)}
    assert records["share"] == {"kind": "share", "made": 6, "done": 2, "snoozed": 1, "dismissed": 3, "open": 0,
                                "done_rate": 0.333, "dismissed_reasons": {"bad_timing": 2, "unspecified": 1}}
    human = cli("suggest", "--stats")
    assert human.exit_code == 0
    lines = human.output.splitlines()
    assert lines[0].split() == ["kind", "made", "done", "snoozed", "dismissed", "open", "done", "rate"]
    assert lines[1].split()[-6:] == ["6", "2", "1", "3", "0", "33%"] and lines[1].startswith("Share or comment")
    assert "dismissed because: bad timing 2, unspecified 1" in lines[2]
    assert "wrong person 1" in human.output


def test_stats_on_an_empty_store_and_with_as_of(db_url, cli):
    assert cli("suggest", "--stats").output.strip() == "No suggestions made yet."
    assert json.loads(cli("suggest", "--stats", "--json").output) == []
    refused = cli("suggest", "--stats", "--as-of", "2026-11-23")
    assert refused.exit_code == 2 and "takes no --as-of" in refused.output


def test_suggest_json_lists_reminders_to_come_as_follow_up(db_url, cli):
    runtime = runtime_for(db_url)
    ids = seed(runtime)
    later = datetime.now(timezone.utc).date() + timedelta(days=30)
    with runtime.session() as session:
        add_follow_up(session.get(Customer, ids["Bob Roe"]), session=session, member="U0DANA", due_on=later,
                      what="renewal call", now=MONDAY)
    runtime.engine.dispose()
    result = cli("suggest", "--json")
    assert result.exit_code == 0, result.output
    reminders = [r for r in json.loads(result.output) if r["kind"] == "follow_up"]
    assert reminders == [{"kind": "follow_up", "customer": "Bob Roe", "owner": "U0DANA",
                          "text": "Follow up with Bob Roe: renewal call", "post_url": None,
                          "reason": f"reminder for {later.isoformat()}", "priority": 0.0,
                          "due_on": later.isoformat()}]
    human = cli("suggest").output
    assert f"[{later.isoformat()}] Reminder: Bob Roe (owner Dana Reyes)" in human
    assert isinstance(date.fromisoformat(reminders[0]["due_on"]), date)
