"""deliver_suggestions_job: each due suggestion DMed exactly once to its owner, with buttons, at a
polite pace, also when a process died between claiming a DM and recording it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fakes.slack_world import DANA, LEE, add_suggestion, customer_id

from bot.jobs.deliver import ChannelPacer, DeliverySummary, deliver_suggestions_job
from bot.slack.blocks import ACTION_DISMISS, ACTION_DONE, ACTION_SNOOZE
from bot.slack.client import CLAIM_LOOKBACK_MARGIN, STALE_CLAIM_AFTER, SUGGESTION_EVENT
from models.entities import Customer, Suggestion
from models.store.deliveries import claim_delivery, mark_delivered


class FakeClock:
    """A monotonic clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def pacer() -> tuple[ChannelPacer, FakeClock]:
    clock = FakeClock()
    return ChannelPacer(clock=clock, sleep=clock.sleep), clock


def row(runtime, suggestion_id: int) -> Suggestion:
    with runtime.session() as session:
        return session.get(Suggestion, suggestion_id)


def test_open_suggestions_go_to_their_owners_once_with_buttons(runtime, fake_slack):
    first = add_suggestion(runtime, "Jane Doe", status="open", text="Share Jane's post <!here>")
    second = add_suggestion(runtime, "Jane", owner=LEE, status="open", kind="check_in", text="Check in with Jane")
    summary = deliver_suggestions_job(runtime, pacer=pacer()[0])
    assert (summary.sent, summary.failed) == (2, 0)
    assert sorted(c.args["users"] for c in fake_slack.calls_to("conversations.open")) == [DANA, LEE]
    posts = {c.args["channel"]: c.args for c in fake_slack.calls_to("chat.postMessage")}
    dana = posts["D0DANA"]
    buttons = [e for b in dana["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert [(b["action_id"], b["value"]) for b in buttons] == [
        (ACTION_DONE, str(first)), (ACTION_SNOOZE, str(first)), (ACTION_DISMISS, str(first))]
    assert "&lt;!here&gt;" in dana["text"] and "<!here>" not in str(dana["blocks"])
    assert "link_names" not in dana and "parse" not in dana
    delivered = row(runtime, first)
    assert (delivered.status, delivered.slack_channel) == ("sent", "D0DANA") and delivered.slack_ts
    assert row(runtime, second).status == "sent"
    assert deliver_suggestions_job(runtime, pacer=pacer()[0]).sent == 0  # nothing twice
    assert len(fake_slack.calls_to("chat.postMessage")) == 2


def test_posts_to_one_channel_are_a_second_apart(runtime, fake_slack):
    for n in range(3):
        add_suggestion(runtime, "Jane Doe", status="open", text=f"Idea {n}")
    paced, clock = pacer()
    deliver_suggestions_job(runtime, pacer=paced)
    assert len(fake_slack.calls_to("chat.postMessage")) == 3
    assert clock.slept == [1.0, 1.0]


def test_a_rate_limited_post_is_retried_after_retry_after(runtime, fake_slack, slack_retry_waits):
    sid = add_suggestion(runtime, "Jane Doe", status="open")
    fake_slack.fail_next("chat.postMessage", 1, retry_after=1)
    summary = deliver_suggestions_job(runtime, pacer=pacer()[0])
    assert summary.sent == 1
    calls = fake_slack.calls_to("chat.postMessage")
    assert len(calls) == 2 and slack_retry_waits.slept[0] >= 1  # waited for Retry-After: 1 (recorded, not slept)
    assert row(runtime, sid).status == "sent"


def test_snoozed_customers_wait_and_finished_snoozes_come_back(runtime, fake_slack):
    now = datetime.now(timezone.utc)
    with runtime.session() as session:
        session.get(Customer, customer_id(runtime, "Omar Haddad")).snoozed_until = now + timedelta(days=3)
    waiting = add_suggestion(runtime, "Omar Haddad", status="open")
    back = add_suggestion(runtime, "Jane Doe", status="snoozed", snoozed_until=now - timedelta(minutes=1),
                          slack_channel="D0DANA", slack_ts="1.0")
    still_snoozed = add_suggestion(runtime, "Jane Doe", status="snoozed", text="later",
                                   snoozed_until=now + timedelta(days=2))
    deliver_suggestions_job(runtime, pacer=pacer()[0])
    assert row(runtime, waiting).status == "open"
    assert row(runtime, back).status == "sent" and row(runtime, back).snoozed_until is None
    assert row(runtime, still_snoozed).status == "snoozed"
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_a_failure_for_one_owner_does_not_stop_the_others(runtime, fake_slack):
    add_suggestion(runtime, "Jane Doe", owner=DANA, status="open", text="to someone Slack cannot find")
    ok = add_suggestion(runtime, "Jane", owner=LEE, status="open")

    def answer(method, args):
        if method == "conversations.open" and args.get("users") == DANA:
            return {"ok": False, "error": "user_not_found"}
        return None  # the fake's own answer

    fake_slack.answer_with(answer)
    summary = deliver_suggestions_job(runtime, pacer=pacer()[0])
    assert (summary.sent, summary.failed) == (1, 1)
    assert row(runtime, ok).status == "sent"


def test_only_actionable_suggestions_are_dmed(runtime, fake_slack):
    now = datetime.now(timezone.utc)
    due = add_suggestion(runtime, "Jane Doe", status="open", text="fresh")
    stale = add_suggestion(runtime, "Jane Doe", status="open", text="ninety days old", suggested_at=now - timedelta(days=90))
    future = add_suggestion(runtime, "Jane Doe", status="open", text="from the future", suggested_at=now + timedelta(days=1))
    dismissed = add_suggestion(runtime, "Jane Doe", status="dismissed", text="not relevant")
    untracked = add_suggestion(runtime, "Omar Haddad", status="open", text="about someone untracked")
    with runtime.session() as session:
        session.get(Customer, customer_id(runtime, "Omar Haddad")).tracked = False
    assert deliver_suggestions_job(runtime, pacer=pacer()[0]).sent == 1
    posts = fake_slack.calls_to("chat.postMessage")
    assert len(posts) == 1 and "fresh" in posts[0].args["text"]
    assert row(runtime, due).status == "sent"
    assert [row(runtime, s).status for s in (stale, future, untracked)] == ["open"] * 3
    assert row(runtime, dismissed).status == "dismissed"


def test_a_crash_after_posting_never_sends_the_dm_twice(runtime, fake_slack, monkeypatch):
    sid = add_suggestion(runtime, "Jane Doe", status="open")

    def crash(*args, **kwargs):
        raise RuntimeError("database went away after the post")

    monkeypatch.setattr("bot.jobs.deliver.mark_delivered", crash)
    assert deliver_suggestions_job(runtime, pacer=pacer()[0]) == DeliverySummary(sent=0, failed=1)
    monkeypatch.undo()
    assert deliver_suggestions_job(runtime, pacer=pacer()[0]).sent == 0
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    claimed = row(runtime, sid)
    assert (claimed.status, claimed.slack_channel, claimed.slack_ts) == ("sent", "D0DANA", None)


def test_a_database_error_for_one_suggestion_does_not_stop_the_rest(runtime, fake_slack, monkeypatch):
    first = add_suggestion(runtime, "Jane Doe", status="open", text="first")
    second = add_suggestion(runtime, "Jane", owner=LEE, status="open", text="second")
    real = mark_delivered

    def fail_first(suggestion_id, **kwargs):
        if suggestion_id == first:
            raise RuntimeError("deadlock detected")
        real(suggestion_id, **kwargs)

    monkeypatch.setattr("bot.jobs.deliver.mark_delivered", fail_first)
    assert deliver_suggestions_job(runtime, pacer=pacer()[0]) == DeliverySummary(sent=1, failed=1)
    assert row(runtime, second).slack_ts is not None


def test_a_post_slack_refuses_is_tried_again_next_run(runtime, fake_slack):
    sid = add_suggestion(runtime, "Jane Doe", status="open")
    refusals = iter([True])

    def answer(method, args):
        if method == "chat.postMessage" and next(refusals, False):
            return {"ok": False, "error": "msg_too_long"}
        return None  # the fake's own answer

    fake_slack.answer_with(answer)
    assert deliver_suggestions_job(runtime, pacer=pacer()[0]) == DeliverySummary(sent=0, failed=1)
    assert (row(runtime, sid).status, row(runtime, sid).slack_channel) == ("open", None)
    assert deliver_suggestions_job(runtime, pacer=pacer()[0]) == DeliverySummary(sent=1, failed=0)
    assert row(runtime, sid).slack_ts is not None


def test_a_suggestion_snoozed_for_a_week_comes_back_after_it(runtime, fake_slack):
    """Snooze "hides it for a week": made 9 days ago and snoozed until a minute ago, it is older
    than the freshness window yet must be DMed again."""
    now = datetime.now(timezone.utc)
    returned = add_suggestion(runtime, "Jane Doe", status="snoozed", suggested_at=now - timedelta(days=9),
                              snoozed_until=now - timedelta(minutes=1), slack_channel="D0DANA", slack_ts="1.0")
    expired = add_suggestion(runtime, "Jane", owner=LEE, status="snoozed", text="long gone",
                             suggested_at=now - timedelta(days=60), snoozed_until=now - timedelta(days=40))
    assert deliver_suggestions_job(runtime, pacer=pacer()[0]).sent == 1
    assert row(runtime, returned).status == "sent"
    assert row(runtime, expired).status == "snoozed"


# --- exactly once: claims a crash left unconfirmed ------------------------------------------------

STALE = STALE_CLAIM_AFTER + timedelta(minutes=1)


def backdate_claim(runtime, suggestion_id: int, by: timedelta = STALE) -> datetime:
    """Make the suggestion's claim ``by`` older (time passing after the process died); the new claim time."""
    with runtime.session() as session:
        suggestion = session.get(Suggestion, suggestion_id)
        suggestion.claimed_at -= by
        return suggestion.claimed_at


def claim_left_by_a_dead_process(runtime, suggestion_id: int, *, ago: timedelta = STALE) -> None:
    with runtime.session() as session:
        assert claim_delivery(suggestion_id, session=session, channel="D0DANA", now=datetime.now(timezone.utc) - ago)


def test_a_dm_posted_before_a_crash_is_found_and_not_sent_again(runtime, fake_slack, monkeypatch):
    sid = add_suggestion(runtime, "Jane Doe", status="open")
    monkeypatch.setattr("bot.jobs.deliver.mark_delivered", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("killed")))
    deliver_suggestions_job(runtime, pacer=pacer()[0])  # posted, then "died" before recording the ts
    monkeypatch.undo()
    (posted,) = fake_slack.calls_to("chat.postMessage")
    assert posted.args["metadata"] == {"event_type": SUGGESTION_EVENT, "event_payload": {"suggestion_id": sid}}
    claimed_at = backdate_claim(runtime, sid)
    assert deliver_suggestions_job(runtime, pacer=pacer()[0]) == DeliverySummary(sent=0, failed=0)
    (lookup,) = fake_slack.calls_to("conversations.history")
    assert lookup.args["channel"] == "D0DANA" and lookup.args["include_all_metadata"] in {"1", "true"}
    assert float(lookup.args["oldest"]) == pytest.approx((claimed_at - CLAIM_LOOKBACK_MARGIN).timestamp())
    assert len(fake_slack.calls_to("chat.postMessage")) == 1
    (message,) = fake_slack.history("D0DANA")
    assert (row(runtime, sid).status, row(runtime, sid).slack_ts) == ("sent", message["ts"])  # a click can update it


def test_a_dm_claimed_by_a_process_killed_before_posting_is_sent_once(runtime, fake_slack):
    sid = add_suggestion(runtime, "Jane Doe", status="open")
    claim_left_by_a_dead_process(runtime, sid)
    assert deliver_suggestions_job(runtime, pacer=pacer()[0]) == DeliverySummary(sent=1, failed=0)
    (posted,) = fake_slack.calls_to("chat.postMessage")
    assert posted.args["metadata"]["event_payload"] == {"suggestion_id": sid}
    assert row(runtime, sid).slack_ts is not None
    assert deliver_suggestions_job(runtime, pacer=pacer()[0]).sent == 0
    assert len(fake_slack.calls_to("chat.postMessage")) == 1


def test_a_fresh_claim_is_left_alone_it_may_still_be_going_out(runtime, fake_slack):
    sid = add_suggestion(runtime, "Jane Doe", status="open")
    claim_left_by_a_dead_process(runtime, sid, ago=timedelta(minutes=1))
    assert deliver_suggestions_job(runtime, pacer=pacer()[0]) == DeliverySummary(sent=0, failed=0)
    assert fake_slack.calls == [] and row(runtime, sid).slack_ts is None


def test_a_claim_from_before_claim_times_were_kept_is_looked_for_since_the_suggestion(runtime, fake_slack):
    made = datetime.now(timezone.utc) - timedelta(days=2)
    sid = add_suggestion(runtime, "Jane Doe", status="sent", slack_channel="D0DANA", suggested_at=made)
    with runtime.session() as session:
        session.get(Suggestion, sid).slack_ts = None  # claimed by an older version, which then died
    ts = fake_slack.post_message("D0DANA", metadata={"event_type": SUGGESTION_EVENT,
                                                     "event_payload": {"suggestion_id": sid}}, at=(made + timedelta(hours=1)).timestamp())
    assert deliver_suggestions_job(runtime, pacer=pacer()[0]).sent == 0
    (lookup,) = fake_slack.calls_to("conversations.history")
    assert float(lookup.args["oldest"]) == pytest.approx((made - CLAIM_LOOKBACK_MARGIN).timestamp())
    assert row(runtime, sid).slack_ts == ts and fake_slack.calls_to("chat.postMessage") == []


def test_an_unreadable_dm_leaves_the_claim_for_the_next_run(runtime, fake_slack):
    sid = add_suggestion(runtime, "Jane Doe", status="open")
    claim_left_by_a_dead_process(runtime, sid)
    fake_slack.answer_with(lambda method, args: {"ok": False, "error": "missing_scope"}
                           if method == "conversations.history" else None)
    assert deliver_suggestions_job(runtime, pacer=pacer()[0]) == DeliverySummary(sent=0, failed=1)
    assert fake_slack.calls_to("chat.postMessage") == []
    assert (row(runtime, sid).status, row(runtime, sid).slack_ts) == ("sent", None)


def test_the_lookup_reads_every_page_back_to_the_claim(runtime, fake_slack, monkeypatch):
    monkeypatch.setattr("bot.slack.client.HISTORY_PAGE", 2)
    sid = add_suggestion(runtime, "Jane Doe", status="open")
    claim_left_by_a_dead_process(runtime, sid)
    ts = fake_slack.post_message("D0DANA", metadata={"event_type": SUGGESTION_EVENT, "event_payload": {"suggestion_id": sid}})
    for n in range(5):  # newer messages in the DM, some with other metadata
        fake_slack.post_message("D0DANA", text=f"later {n}", metadata={"event_type": SUGGESTION_EVENT,
                                                                        "event_payload": {"suggestion_id": sid + 100 + n}})
    assert deliver_suggestions_job(runtime, pacer=pacer()[0]).sent == 0
    assert len(fake_slack.calls_to("conversations.history")) == 3  # 2 + 2 + 2 messages, newest first
    assert row(runtime, sid).slack_ts == ts
